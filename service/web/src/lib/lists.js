// The trust list and the revocation list (FORMAT.md §4): signed notes by
// the root key "<origin>/root", parsed as strictly as crypto/trust.c and
// crypto/revoc.c parse them (one text per list: single spaces, canonical
// decimals, lowercase hex, canonical base64, nothing unknown).
//
//   ankang/trust/v1\n <origin>\n <issued>\n
//   issuer <kid hex16> <base64 pubkey32> <not_before> <not_after>\n   (1..64)
//   log <log verifier key text>\n
//
//   ankang/revocations/v1\n <origin>\n <issued>\n
//   <cti hex32>\n                                                      (0.., ascending)
//
// Each parser throws an Error saying what was wrong, in words a log line
// can carry (nothing from the list is echoed).
import { b64decode, equalBytes } from './b64.js';
import { openNote, parseVerifierKey } from './note.js';

const TRUST_MAGIC = 'ankang/trust/v1';
const REVOC_MAGIC = 'ankang/revocations/v1';
const TRUST_TEXT_MAX = 16384;
const NOTE_MAX_BYTES = 16 << 20;
const MAX_ISSUERS = 64;
const REVOC_MAX = 400000;
const U64_MAX = (1n << 64n) - 1n;
// A key name: 1..128 bytes of printable ASCII other than space and '+'.
const KEY_NAME = /^[\x21-\x2a\x2c-\x7e]{1,128}$/;

function bad(why) {
  throw new Error(why);
}

function byteLength(s) {
  return new TextEncoder().encode(s).length;
}

// util_parse_u64: decimal digits, no leading zero, at most 2^64 - 1.
export function parseU64(s) {
  if (!/^(0|[1-9][0-9]{0,19})$/.test(s)) return null;
  const v = BigInt(s);
  return v > U64_MAX ? null : v;
}

function originValid(s) {
  return s.length <= 100 && KEY_NAME.test(s);
}

function hexBytes(s, n) {
  if (s.length !== 2 * n || !/^[0-9a-f]*$/.test(s)) return null;
  return Uint8Array.from(s.match(/../g), (h) => parseInt(h, 16));
}

// Lines of a text that ends in "\n"; the last element of split is ''.
function lines(text) {
  if (!text.endsWith('\n')) bad('a line without its newline');
  return text.slice(0, -1).split('\n');
}

function header(ls, magic) {
  if (ls.length < 3 || ls[0] !== magic) bad('not a list of this kind');
  if (!originValid(ls[1])) bad('bad origin');
  const issued = parseU64(ls[2]);
  if (issued === null) bad('bad issued time');
  return { origin: ls[1], issued };
}

// Parses a trust list's text. Returns {origin, issued (BigInt), issuers:
// [{kid, pub, key (CryptoKey), notBefore, notAfter}], logKey}.
export async function parseTrust(text) {
  if (typeof text !== 'string' || text.length === 0 || byteLength(text) > TRUST_TEXT_MAX) bad('bad size');
  const ls = lines(text);
  const { origin, issued } = header(ls, TRUST_MAGIC);
  const issuers = [];
  let logKey = null;
  for (let i = 3; i < ls.length; i++) {
    const line = ls[i];
    if (line.startsWith('issuer ') && line.length > 7) {
      if (issuers.length === MAX_ISSUERS) bad('too many issuers');
      const f = line.slice(7).split(' ');
      if (f.length !== 4 || f.some((x) => x === '')) bad('bad issuer line');
      const kid = hexBytes(f[0], 8);
      const pub = f[1].length === 44 ? b64decode(f[1]) : null;
      const notBefore = parseU64(f[2]);
      const notAfter = parseU64(f[3]);
      if (!kid || !pub || pub.length !== 32 || notBefore === null || notAfter === null) bad('bad issuer line');
      if (notBefore > notAfter) bad('issuer window inverted');
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', pub));
      if (!equalBytes(digest.slice(0, 8), kid)) bad('kid is not of its key');
      if (issuers.some((x) => equalBytes(x.kid, kid))) bad('repeated issuer');
      let key;
      try {
        key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
      } catch {
        bad('issuer key cannot be used');
      }
      issuers.push({ kid, pub, key, notBefore, notAfter });
    } else if (line.startsWith('log ') && line.length > 4) {
      // The log line comes last, after at least one issuer.
      if (issuers.length === 0 || i !== ls.length - 1) bad('log line out of place');
      const vkey = line.slice(4);
      const plus = vkey.indexOf('+');
      if (plus < 0 || !KEY_NAME.test(vkey.slice(0, plus)) || vkey.length - plus - 1 !== 8 + 1 + 44)
        bad('bad log key');
      logKey = await parseVerifierKey(vkey);
      if (!logKey) bad('bad log key');
    } else {
      bad('unknown line');
    }
  }
  if (!logKey) bad('no log line');
  return { origin, issued, issuers, logKey };
}

// Parses a revocation list's text. Returns {origin, issued, revoked: Set of hex}.
export function parseRevocations(text) {
  if (typeof text !== 'string' || text.length === 0 || byteLength(text) > NOTE_MAX_BYTES) bad('bad size');
  const ls = lines(text);
  const { origin, issued } = header(ls, REVOC_MAGIC);
  const ctis = ls.slice(3);
  if (ctis.length > REVOC_MAX) bad('too many entries');
  const revoked = new Set();
  let prev = '';
  for (const c of ctis) {
    if (!/^[0-9a-f]{32}$/.test(c)) bad('bad cti line');
    // Lowercase hex sorts as its bytes do: strictly ascending, so unique.
    if (prev && c <= prev) bad('ctis not in ascending order');
    revoked.add(c);
    prev = c;
  }
  return { origin, issued, revoked };
}

// Only a note signed by the key named "<origin>/root" is a list for that
// origin (trust_open, revoc_open).
function rootFor(root, origin) {
  if (root.name !== `${origin}/root`) bad('signed by the root key of another origin');
}

// Opens a trust-list note with the root verifier key (from parseVerifierKey).
export async function openTrust(note, root) {
  const { text } = await openNote(note, [root]);
  const t = await parseTrust(text);
  rootFor(root, t.origin);
  return t;
}

export async function openRevocations(note, root) {
  const { text } = await openNote(note, [root]);
  const r = parseRevocations(text);
  rootFor(root, r.origin);
  return r;
}
