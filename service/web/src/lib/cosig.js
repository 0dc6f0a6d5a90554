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

// The cosignatures on note (a string) by the witnesses given (from
// parseCosignerKey): [{name, time (BigInt, unix seconds), witness}], one
// per witness that cosigned, in the order listed. Throws an Error saying
// why when the note is malformed or a listed witness's line is bad. The
// log's own signature is not checked here: note.js openCheckpoint does.
export async function openCosignatures(note, witnesses) {
  const { text, lines } = splitNote(note);
  const found = new Map();
  for (const line of lines) {
    const w = signerOf(witnesses, line);
    if (!w) continue;
    const { sig } = line;
    if (sig.length !== COSIG_BYTES) throw new Error(`malformed cosignature by ${w.name}`);
    let time = 0n;
    for (let k = 4; k < 12; k++) time = (time << 8n) | BigInt(sig[k]);
    if (time > TIME_MAX) throw new Error(`bad cosignature by ${w.name}`);
    if (!(await ed25519Verify(w.key, sig.slice(12), signedMessage(text, time))))
      throw new Error(`bad cosignature by ${w.name}`);
    if (!found.has(w)) found.set(w, time);
  }
  return witnesses.filter((w) => found.has(w)).map((w) => ({ name: w.name, time: found.get(w), witness: w }));
}
