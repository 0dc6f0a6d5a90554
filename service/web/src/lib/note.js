// C2SP signed notes with Ed25519 keys (FORMAT.md §2), and checkpoints
// (§3.3), checked with WebCrypto. The same rules as crypto/note.c: a note
// verifies when at least one signature is by a key we were given and every
// such signature is good; lines by other keys (witnesses' cosignatures,
// say) are ignored.
import { b64decode, equalBytes } from './b64.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
const DASH = '\u2014 ';
const MAX_SIGNATURES = 100;

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

// The key id: the first 4 bytes of SHA-256(name || "\n" || type || pub),
// type 0x01 for a note signer's Ed25519 key (0x04 for a cosigner's, cosig.js).
async function keyId(name, type, pub) {
  const n = enc.encode(name);
  const buf = new Uint8Array(n.length + 2 + 32);
  buf.set(n, 0);
  buf[n.length] = 0x0a;
  buf[n.length + 1] = type;
  buf.set(pub, n.length + 2);
  return (await sha256(buf)).slice(0, 4);
}

function validName(name) {
  return name.length > 0 && !/[\s+]/u.test(name);
}

// "<name>+<hex8>+<base64(type || pub)>" -> {name, id, pub, key, text} or
// null: a verifier key whose type byte is type, and whose key id is right.
export async function parseTypedKey(text, type) {
  if (typeof text !== 'string') return null;
  // name+hex8+base64: the base64 may itself hold '+', so split twice.
  const a = text.indexOf('+');
  const b = text.indexOf('+', a + 1);
  if (a < 0 || b < 0) return null;
  const [name, idHex, b64] = [text.slice(0, a), text.slice(a + 1, b), text.slice(b + 1)];
  if (!validName(name) || !/^[0-9a-f]{8}$/.test(idHex)) return null;
  const raw = b64decode(b64);
  if (!raw || raw.length !== 33 || raw[0] !== type) return null;
  const pub = raw.slice(1);
  const id = await keyId(name, type, pub);
  const want = Uint8Array.from(idHex.match(/../g), (h) => parseInt(h, 16));
  if (!equalBytes(id, want)) return null;
  let key;
  try {
    key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return null;
  }
  return { name, id, pub, key, text };
}

// A note signer's key, type 0x01.
export const parseVerifierKey = (text) => parseTypedKey(text, 0x01);

export async function ed25519Verify(key, sig, data) {
  try {
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, data);
  } catch {
    return false;
  }
}

// A note (a string) split into its text (through its last "\n" before
// the blank line) and its signature lines, [{name, sig: key id || rest}],
// every one well-formed; throws an Error saying why not.
export function splitNote(note) {
  if (typeof note !== 'string' || !note.endsWith('\n')) throw new Error('malformed note');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('malformed note');
  const text = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2, -1).split('\n');
  if (sigLines.length > MAX_SIGNATURES) throw new Error('too many signatures');
  for (const ch of text)
    if ((ch < ' ' && ch !== '\n') || ch === '\x7f') throw new Error('malformed note');
  const lines = sigLines.map((line) => {
    if (!line.startsWith(DASH)) throw new Error('malformed signature line');
    const rest = line.slice(DASH.length);
    const sp = rest.lastIndexOf(' ');
    if (sp <= 0) throw new Error('malformed signature line');
    const name = rest.slice(0, sp);
    const sig = b64decode(rest.slice(sp + 1));
    if (!validName(name) || !sig || sig.length < 5) throw new Error('malformed signature line');
    return { name, sig };
  });
  return { text, lines };
}

// The key of keys that signed a line, by name and key id, or undefined.
export const signerOf = (keys, line) => keys.find((k) => k.name === line.name && equalBytes(k.id, line.sig.slice(0, 4)));

// Verifies note (a string) against the verifier keys given (from
// parseVerifierKey). Returns {text, signers: [names]} or throws an Error
// whose message says why, in words a log line can carry.
export async function openNote(note, keys) {
  const { text, lines } = splitNote(note);
  const textBytes = enc.encode(text);
  const signers = [];
  for (const { name, sig } of lines) {
    const k = signerOf(keys, { name, sig });
    if (!k) continue; // another signer's line
    if (sig.length !== 68 || !(await ed25519Verify(k.key, sig.slice(4), textBytes)))
      throw new Error(`bad signature by ${name}`);
    if (!signers.includes(name)) signers.push(name);
  }
  if (signers.length === 0) throw new Error('no signature by a known key');
  return { text, signers };
}

// A checkpoint's text: "<origin>\n<size>\n<base64 root>\n", nothing more.
export function parseCheckpoint(text) {
  const lines = text.split('\n');
  if (lines.length !== 4 || lines[3] !== '') throw new Error('malformed checkpoint');
  const [origin, sizeText, rootText] = lines;
  if (!origin || !/^(0|[1-9][0-9]{0,19})$/.test(sizeText)) throw new Error('malformed checkpoint');
  const root = b64decode(rootText);
  if (!root || root.length !== 32) throw new Error('malformed checkpoint');
  const size = BigInt(sizeText);
  if (size >= 1n << 64n) throw new Error('malformed checkpoint');
  return { origin, size, root };
}

// A checkpoint note signed by the log key, whose name is the origin.
export async function openCheckpoint(note, logKey) {
  const { text } = await openNote(note, [logKey]);
  const cp = parseCheckpoint(text);
  if (cp.origin !== logKey.name) throw new Error('checkpoint of another log');
  return cp;
}

export function utf8(bytes) {
  return dec.decode(bytes);
}
