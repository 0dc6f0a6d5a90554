// Witnesses' cosignatures on a checkpoint, C2SP tlog-cosignature
// "cosignature/v1" (FORMAT.md, "Witness cosignatures"), checked with
// WebCrypto by the same rules as crypto/cosig.c:
//
//   a cosigner's key   <name>+<hex8 key id>+base64(0x04 || pub[32]),
//                      key id = SHA-256(name || "\n" || 0x04 || pub)[:4]
//   a cosignature      a signature line on the note, "— <name> " then
//                      base64(key id[4] || timestamp[8, big-endian] || sig[64])
//   what is signed     "cosignature/v1\ntime <timestamp>\n" then the
//                      note's text through its last "\n" before the blank
//                      line
//
// Lines by keys not listed are ignored (the log's own signature among
// them: its key's type byte, 0x01, gives it another key id); a line by a
// listed key that is not 76 bytes, or whose signature does not verify, or
// whose timestamp is beyond 2^63 - 1, fails the whole note.
import { ed25519Verify, parseTypedKey, signerOf, splitNote } from './note.js';

const enc = new TextEncoder();
const COSIG_BYTES = 4 + 8 + 64;
const TIME_MAX = (1n << 63n) - 1n;

// A witness's cosigner key -> {name, id, pub, key, text}, or null.
export const parseCosignerKey = (text) => parseTypedKey(text, 0x04);

// What a witness signs: the two header lines, then the note's text.
export function signedMessage(text, time) {
  const head = enc.encode(`cosignature/v1\ntime ${time}\n`);
  const body = enc.encode(text);
  const msg = new Uint8Array(head.length + body.length);
  msg.set(head, 0);
  msg.set(body, head.length);
  return msg;
}

// Each listed witness's cosignature on note (a string), for showing them
// one by one: [{name, witness, state: 'good' | 'bad' | 'none', time}], in
// the order listed (time, a BigInt of unix seconds, when good). A witness
// with a bad line is 'bad' whatever its other lines. Throws only for a
// note that is malformed.
export async function cosignatureStates(note, witnesses) {
  const { text, lines } = splitNote(note);
  const states = new Map(witnesses.map((w) => [w, { name: w.name, witness: w, state: 'none', time: null }]));
  for (const line of lines) {
    const w = signerOf(witnesses, line);
    if (!w) continue;
    const st = states.get(w);
    const { sig } = line;
    let time = 0n;
    for (let k = 4; k < 12 && k < sig.length; k++) time = (time << 8n) | BigInt(sig[k]);
    const good = sig.length === COSIG_BYTES && time <= TIME_MAX &&
      (await ed25519Verify(w.key, sig.slice(12), signedMessage(text, time)));
    if (!good) st.state = 'bad';
    else if (st.state === 'none') Object.assign(st, { state: 'good', time });
  }
  return [...states.values()];
}

// The cosignatures on note by the witnesses given (from parseCosignerKey):
// [{name, time, witness}], one per witness that cosigned, in the order
// listed. Throws an Error saying why when the note is malformed or a
// listed witness's line is bad, as crypto/cosig.c refuses the whole note.
// The log's own signature is not checked here: note.js openCheckpoint does.
export async function openCosignatures(note, witnesses) {
  const states = await cosignatureStates(note, witnesses);
  const bad = states.find((s) => s.state === 'bad');
  if (bad) throw new Error(`bad cosignature by ${bad.name}`);
  return states.filter((s) => s.state === 'good').map(({ name, time, witness }) => ({ name, time, witness }));
}
