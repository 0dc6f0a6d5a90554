// The health-code credential (FORMAT.md §1), parsed and verified in the
// browser the way crypto/cred.c does it, for checks made while the service
// cannot be reached:
//
//   "AK1:" base45( 18([ bstr .cbor {1: -8, 4: kid(8)},
//                       {},
//                       bstr .cbor {1: iss, 4: exp, 6: iat, 7: cti(16),
//                                   -65537: {1: name, 2: status}},
//                       sig(64) ]) )
//
// Strictness comes from cbor.js, which accepts only deterministic CBOR,
// and from checking every layer's shape exactly: with both, a credential
// has one text, as in C (where re-encoding and comparing does the same).
// The results, in FORMAT.md's order of checking, are the C verifier's
// words: malformed, unknown_key, bad_signature, not_yet_valid, expired,
// revoked, valid. (superseded is the service's alone.)
import { base45Decode, cborDecode, concat, encodeArrayHead, encodeBytes, encodeText } from './cbor.js';
import { ed25519Verify } from './note.js';
import { equalBytes, hex } from './b64.js';

export const PREFIX = 'AK1:';
export const TEXT_MAX = 1024;
export const DEFAULT_SKEW = 60;
const MAX_VALIDITY = 31n * 86400n;
const STATUS = ['green', 'yellow', 'red'];
const ISS = /^[A-Za-z0-9.-]{1,32}$/;

// Results that may show the code's name and status (cred_result_shows_data).
export function showsData(result) {
  return result === 'valid' || result === 'revoked' || result === 'superseded';
}

const isUint = (it, v) => it.type === 'uint' && (v === undefined || it.value === v);
const isBytes = (it, n) => it.type === 'bytes' && (n === undefined || it.value.length === n);

// The name rule of cred.c: 1..128 bytes of UTF-8 (the decoder has checked
// it is UTF-8), no U+0000-U+001F, no U+007F.
function nameValid(it) {
  if (it.type !== 'text') return false;
  const bytes = it.raw.length - headLength(it.raw);
  // eslint-disable-next-line no-control-regex
  return bytes >= 1 && bytes <= 128 && !/[\u0000-\u001f\u007f]/.test(it.value);
}

function headLength(raw) {
  const info = raw[0] & 0x1f;
  return info < 24 ? 1 : 1 + (1 << (info - 24));
}

// {1: -8, 4: kid(8)}, exactly.
function parseProtected(bytes) {
  const m = cborDecode(bytes);
  if (m.type !== 'map' || m.entries.length !== 2) return null;
  const [[k1, alg], [k4, kid]] = m.entries;
  if (!isUint(k1, 1n) || alg.type !== 'nint' || alg.value !== -8n) return null;
  if (!isUint(k4, 4n) || !isBytes(kid, 8)) return null;
  return kid.value;
}

// The five claims, exactly, each of its type and in range.
function parseClaims(bytes) {
  const m = cborDecode(bytes);
  if (m.type !== 'map' || m.entries.length !== 5) return null;
  // The decoder has put the keys in ascending order: 1, 4, 6, 7, -65537.
  const [[kIss, iss], [kExp, exp], [kIat, iat], [kCti, cti], [kHc, hc]] = m.entries;
  if (!isUint(kIss, 1n) || !isUint(kExp, 4n) || !isUint(kIat, 6n) || !isUint(kCti, 7n)) return null;
  if (kHc.type !== 'nint' || kHc.value !== -65537n) return null;
  if (iss.type !== 'text' || !ISS.test(iss.value)) return null;
  if (!isUint(exp) || !isUint(iat) || !isBytes(cti, 16)) return null;
  if (hc.type !== 'map' || hc.entries.length !== 2) return null;
  const [[kName, name], [kStatus, status]] = hc.entries;
  if (!isUint(kName, 1n) || !isUint(kStatus, 2n) || !nameValid(name)) return null;
  if (!isUint(status) || status.value > 2n) return null;
  if (exp.value <= iat.value || exp.value - iat.value > MAX_VALIDITY) return null;
  return {
    iss: iss.value,
    exp: exp.value,
    iat: iat.value,
    cti: cti.value,
    name: name.value,
    status: STATUS[Number(status.value)],
  };
}

// Parses text strictly. Returns {kid, claims, sig, tbs} or null (malformed).
export function parseCredential(text) {
  if (typeof text !== 'string' || text.length > TEXT_MAX || !text.startsWith(PREFIX)) return null;
  try {
    const cose = cborDecode(base45Decode(text.slice(PREFIX.length)));
    if (cose.type !== 'tag' || cose.tag !== 18n) return null;
    const arr = cose.item;
    if (arr.type !== 'array' || arr.items.length !== 4) return null;
    const [prot, unprot, payload, sig] = arr.items;
    if (!isBytes(prot) || unprot.type !== 'map' || unprot.entries.length !== 0) return null;
    if (!isBytes(payload) || !isBytes(sig, 64)) return null;
    const kid = parseProtected(prot.value);
    const claims = kid && parseClaims(payload.value);
    if (!claims) return null;
    // Sig_structure = ["Signature1", protected, h'', payload]
    const tbs = concat(encodeArrayHead(4), encodeText('Signature1'), encodeBytes(prot.value),
      encodeBytes(new Uint8Array(0)), encodeBytes(payload.value));
    return { kid, claims, sig: sig.value, tbs };
  } catch {
    return null; // CborError, or anything else a hostile text provokes
  }
}

// trust: {issuers: [{kid: Uint8Array(8), key: CryptoKey, notBefore, notAfter (BigInt)}],
//         revoked: Set of cti hex}
// now: unix seconds (a number); skew: seconds.
// Returns {result, name?, status?, cti?, sig?}: name and status only for
// the results that may show them; cti and sig (hex) whenever the
// signature verified, for the scan record (verifier/spool.c keeps the
// same: a forged code must not put a scan on someone's record).
export async function verifyCredential(text, trust, now, skew = DEFAULT_SKEW) {
  const c = parseCredential(text);
  if (!c) return { result: 'malformed' };
  const { claims } = c;
  let known = false;
  let signed = false;
  for (const is of trust.issuers) {
    if (signed) break;
    if (!equalBytes(is.kid, c.kid) || claims.iat < is.notBefore || claims.iat > is.notAfter) continue;
    known = true;
    signed = await ed25519Verify(is.key, c.sig, c.tbs);
  }
  if (!known) return { result: 'unknown_key' };
  if (!signed) return { result: 'bad_signature' };
  const proof = { cti: hex(claims.cti), sig: hex(c.sig) };
  const t = BigInt(Math.floor(now));
  const s = BigInt(skew);
  if (claims.iat > t && claims.iat - t > s) return { result: 'not_yet_valid', ...proof };
  if (t > claims.exp && t - claims.exp > s) return { result: 'expired', ...proof };
  if (trust.revoked.has(proof.cti))
    return { result: 'revoked', name: claims.name, status: claims.status, ...proof };
  return { result: 'valid', name: claims.name, status: claims.status, ...proof };
}
