#!/usr/bin/env node
// The checkpoint page's own verifier (service/web/src/lib/cbor.js,
// cred.js, lists.js), which checks codes in the browser while the service
// cannot be reached, against the project's vectors and the C tests'
// tables: every case of tests/vectors/credential.json gives its result
// (with the lists of tests/vectors/lists.json, opened with their root
// key, as tests/unit/test_cred.c does); the near-miss payloads, protected
// headers, COSE layers and hostile CBOR of test_cred.c are all malformed;
// no single-bit flip or character change of a real code is ever valid;
// and the lists open, refuse tampering and another origin's root, and
// refuse test_lists.c's near-miss texts. Runs in Node, whose WebCrypto
// Ed25519 is the API the page uses.
import { createPrivateKey, createHash, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOP } from './lib/harness.mjs';
import { tap } from './lib/tap.mjs';
import { b64encode, hex } from '../../service/web/src/lib/b64.js';
import { base45Decode } from '../../service/web/src/lib/cbor.js';
import { parseCredential, verifyCredential } from '../../service/web/src/lib/cred.js';
import { openRevocations, openTrust, parseRevocations, parseTrust } from '../../service/web/src/lib/lists.js';
import { parseVerifierKey } from '../../service/web/src/lib/note.js';

const { ok, is, done } = tap();
const rejects = async (p) => p.then(() => false, () => true);
const throws = (fn) => {
  try {
    fn();
    return false;
  } catch {
    return true;
  }
};

const V = join(TOP, 'tests/vectors');
const creds = JSON.parse(readFileSync(join(V, 'credential.json'), 'utf8'));
const lists = JSON.parse(readFileSync(join(V, 'lists.json'), 'utf8'));
const fromHex = (s) => Uint8Array.from(s.match(/../g) || [], (h) => parseInt(h, 16));

// Signing, for the variants (Node's own Ed25519, from a seed).
function signer(seedHex) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const pub = new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x, 'base64url'));
  return { sign: (bytes) => new Uint8Array(nodeSign(null, bytes, key)), pub };
}
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
function b45(bytes) {
  let s = '';
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) {
    let v = bytes[i] * 256 + bytes[i + 1];
    s += B45[v % 45];
    v = Math.floor(v / 45);
    s += B45[v % 45] + B45[Math.floor(v / 45)];
  }
  if (i < bytes.length) s += B45[bytes[i] % 45] + B45[Math.floor(bytes[i] / 45)];
  return s;
}
const wrap = (cose) => `AK1:${b45(cose)}`;
const bstrHead = (len) => (len < 24 ? [0x40 | len] : len < 256 ? [0x58, len] : [0x59, len >> 8, len & 0xff]);
const cat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...p]));
function tbs(prot, payload) {
  return cat([0x84, 0x6a], new TextEncoder().encode('Signature1'), bstrHead(prot.length), prot, [0x40],
    bstrHead(payload.length), payload);
}
function cose(prot, payload, sig) {
  return cat([0xd2, 0x84], bstrHead(prot.length), prot, [0xa0], bstrHead(payload.length), payload, [0x58, 0x40], sig);
}

// ------------------------------------------------------------- the trust
const root = await parseVerifierKey(lists.root_key.vkey);
const logKey = await parseVerifierKey(lists.log_key.vkey);
ok(root && logKey, 'the vectors\' root and log keys parse');
const trust = await openTrust(lists.trust_list, root);
is(trust.origin, 'ankang.test', 'trust list: origin');
is(trust.issued, 1767225600n, 'trust list: issued');
is(trust.issuers.length, 1, 'trust list: one issuer');
is(hex(trust.issuers[0].kid), creds.issuer.kid, 'trust list: the issuer is credential.json\'s (kid)');
is(hex(trust.issuers[0].pub), creds.issuer.public_key, 'trust list: the issuer is credential.json\'s (key)');
ok(trust.issuers[0].notBefore === 1767139200n && trust.issuers[0].notAfter === 1798761600n, 'trust list: the window');
is(trust.logKey.text, lists.log_key.vkey, 'trust list: the log key');
const revs = await openRevocations(lists.revocation_list, root);
is(revs.issued, 1767225630n, 'revocation list: issued');
ok(revs.revoked.size === 2 && revs.revoked.has('000102030405060708090a0b0c0d0e0f') &&
  revs.revoked.has('2d711642b726b04401627ca9fbac32f5'), 'revocation list: its two ctis');

ok(await rejects(openTrust(lists.bad.trust_list_text_changed, root)), 'a trust list with a changed window is refused');
ok(await rejects(openTrust(lists.trust_list, logKey)), 'a trust list opened with the log key is refused');
ok(await rejects(openRevocations(lists.trust_list, root)), 'a trust list is not a revocation list');
ok(await rejects(openTrust(lists.revocation_list, root)), 'a revocation list is not a trust list');
{
  const at = 'ankang/revocations/v1\nankang.test\n1767225630\n'.length;
  const changed = lists.revocation_list.slice(0, at) + '1' + lists.revocation_list.slice(at + 1);
  ok(await rejects(openRevocations(changed, root)), 'a revocation list with a cti changed is refused');
}
// Signed notes of our own: a root key of another origin must not vouch.
async function signNote(text, name, seedHex) {
  const s = signer(seedHex);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([1]), s.pub])).digest().subarray(0, 4);
  const sig = s.sign(new TextEncoder().encode(text));
  const vkey = await parseVerifierKey(`${name}+${id.toString('hex')}+${b64encode(cat([1], s.pub))}`);
  return { note: `${text}\n\u2014 ${name} ${b64encode(cat(id, sig))}\n`, vkey };
}
const trustText = lists.trust_list.slice(0, lists.trust_list.indexOf('\n\n') + 1);
const revText = lists.revocation_list.slice(0, lists.revocation_list.indexOf('\n\n') + 1);
{
  const seed = '07' + '00'.repeat(31);
  for (const name of ['other.test/root', 'ankang.test/rootx', 'ankang.test/audit']) {
    const t = await signNote(trustText, name, seed);
    ok(await rejects(openTrust(t.note, t.vkey)), `a trust list signed by ${name}: refused (origin rule)`);
    const r = await signNote(revText, name, seed);
    ok(await rejects(openRevocations(r.note, r.vkey)), `a revocation list signed by ${name}: refused`);
  }
  const t = await signNote(trustText, 'ankang.test/root', seed);
  ok((await openTrust(t.note, t.vkey)).issuers.length === 1, 'the same text signed by a key named ankang.test/root opens (control)');
}

// -------------------------------------------------- the credential vectors
const skew = creds.clock_skew;
is(skew, 60, 'vector clock skew is 60 s');
const empty = new Set();
const trustAt = (withRev) => ({ issuers: trust.issuers, revoked: withRev ? revs.revoked : empty });
ok(creds.cases.length >= 39, `${creds.cases.length} credential vectors`);
for (const [i, c] of creds.cases.entries()) {
  const r = await verifyCredential(c.credential, trustAt(!!c.revocations), c.now, skew);
  is(r.result, c.want, `vector ${i} (${c.desc}): ${c.want}`);
  if (c.want === 'valid') {
    ok(r.name === c.name && r.status === c.status, `vector ${i}: name and status as the vector says`);
  } else if (c.want === 'revoked') {
    ok(typeof r.name === 'string' && ['green', 'yellow', 'red'].includes(r.status),
      `vector ${i}: a revoked code may show its name and status`);
  } else {
    ok(r.name === undefined && r.status === undefined, `vector ${i}: no name or status shown`);
  }
  // A scan record's proof: cti and signature only once the signature verified.
  const signedResults = ['valid', 'not_yet_valid', 'expired', 'revoked'];
  ok(signedResults.includes(r.result) ? /^[0-9a-f]{32}$/.test(r.cti) && /^[0-9a-f]{128}$/.test(r.sig)
    : r.cti === undefined && r.sig === undefined, `vector ${i}: cti and sig for the scan record exactly when the signature verified`);
}

// The first vector's layers, byte for byte.
const c0 = creds.cases[0];
const p0 = parseCredential(c0.credential);
is(hex(p0.tbs), c0.layers.sig_structure, 'vector 0: the Sig_structure is the vector\'s');
const baseProt = fromHex(c0.layers.protected);
const basePayload = fromHex(c0.layers.payload);
const iat0 = Number(p0.claims.iat);
const issuer = signer(creds.issuer.seed);
is(hex(issuer.pub), creds.issuer.public_key, 'the vector seed gives the vector issuer key');
const signedText = (prot, payload) => wrap(cose(prot, payload, issuer.sign(tbs(prot, payload))));
is(signedText(baseProt, basePayload), c0.credential, 'the test signer reproduces vector 0 from its layers (control)');
const atIat = async (text) => (await verifyCredential(text, trustAt(false), iat0, skew)).result;

// ------------------------------------------- test_cred.c's strict variants
const ISS = '0165434e2d4148';
const EXP = '041a6955bb58';
const IAT = '061a6955b900';
const CTI = '0750000102030405060708090a0b0c0d0e0f';
const HCK = '3a00010000';
const HC = 'a20166e5bca0e4b8890200';
is(await atIat(signedText(baseProt, fromHex(`a5${ISS}${EXP}${IAT}${CTI}${HCK}${HC}`))), 'valid',
  'hex-built canonical payload is valid (control for the variants)');
is(await atIat(signedText(baseProt, fromHex(`a5${ISS}041a697e9780${IAT}${CTI}${HCK}${HC}`))), 'valid',
  'exp = iat + 31 days exactly is valid');
const payloadVariants = [
  [`a5${EXP}${ISS}${IAT}${CTI}${HCK}${HC}`, 'keys out of order (4 before 1)'],
  [`a5${ISS}${EXP}${IAT}${HCK}${HC}${CTI}`, 'keys out of order (-65537 before 7)'],
  [`a6${ISS}${ISS}${EXP}${IAT}${CTI}${HCK}${HC}`, 'duplicate key 1'],
  [`a5${ISS}${ISS}${EXP}${IAT}${CTI}`, 'duplicate key 1 in place of -65537'],
  [`b805${ISS}${EXP}${IAT}${CTI}${HCK}${HC}`, 'map head in two bytes'],
  [`bf${ISS}${EXP}${IAT}${CTI}${HCK}${HC}ff`, 'indefinite-length claims map'],
  [`a5${ISS}041b000000006955bb58${IAT}${CTI}${HCK}${HC}`, 'exp as 8-byte integer'],
  [`a5${ISS}041a6955bb58061b000000006955b900${CTI}${HCK}${HC}`, 'iat as 8-byte integer'],
  [`a5180165434e2d4148${EXP}${IAT}${CTI}${HCK}${HC}`, 'key 1 as 2-byte integer'],
  [`a5017f65434e2d4148ff${EXP}${IAT}${CTI}${HCK}${HC}`, 'iss as indefinite tstr'],
  [`a5${ISS}${EXP}${IAT}${CTI}3b0000000000010000${HC}`, 'hc key as 8-byte integer'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a20166e5bca0e4b889021800`, 'status as 2-byte int'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a202000166e5bca0e4b889`, 'hc keys out of order'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a30166e5bca0e4b88902000300`, 'extra hc entry'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a10166e5bca0e4b889`, 'hc without status'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a20166e5bca0e4b8890203`, 'status 3'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a20146e5bca0e4b8890200`, 'name as bstr'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a20164c080c0800200`, 'name overlong UTF-8'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a20163eda0800200`, 'name a UTF-16 surrogate'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a2016241ff0200`, 'name with byte ff'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a2016241000200`, 'name with NUL'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a20162417f0200`, 'name with DEL'],
  [`a5${ISS}${EXP}${IAT}${CTI}${HCK}a201620a410200`, 'name with LF'],
  [`a50165434e5f4148${EXP}${IAT}${CTI}${HCK}${HC}`, "iss with '_'"],
  [`a50160${EXP}${IAT}${CTI}${HCK}${HC}`, 'empty iss'],
  [`a50178216161616161616161616161616161616161616161616161616161616161616161${EXP}${IAT}${CTI}${HCK}${HC}`, 'iss of 33 characters'],
  [`a50145434e2d4148${EXP}${IAT}${CTI}${HCK}${HC}`, 'iss as bstr'],
  [`a5${ISS}043a6955bb58${IAT}${CTI}${HCK}${HC}`, 'exp negative'],
  [`a5${ISS}04fb41da5556ed600000${IAT}${CTI}${HCK}${HC}`, 'exp as a float'],
  [`a5${ISS}04c11a6955bb58${IAT}${CTI}${HCK}${HC}`, 'exp tagged as epoch time'],
  [`a5${ISS}041a6955b900${IAT}${CTI}${HCK}${HC}`, 'exp equal to iat'],
  [`a5${ISS}041a697e9781${IAT}${CTI}${HCK}${HC}`, 'exp = iat + 31 days + 1'],
  [`a5${ISS}${EXP}${IAT}0751000102030405060708090a0b0c0d0e0f10${HCK}${HC}`, 'cti of 17 bytes'],
  [`a5${ISS}${EXP}${IAT}0750000102030405060708090a0b0c0d0e0f${HCK}${HC}00`, 'trailing byte inside the payload'],
  [`a4${ISS}${EXP}${IAT}${CTI}`, 'no hc claim'],
  [`a5${ISS}${EXP}${IAT}${CTI}3a00010001${HC}`, 'hc under -65538'],
  [`a5${ISS}${EXP}${IAT}${CTI}0800${HC}`, 'key 8 in place of -65537'],
  [`85${ISS}${EXP}${IAT}${CTI}${HCK}`, 'claims as an array'],
  ['', 'empty payload'],
];
for (const [h, why] of payloadVariants) is(await atIat(signedText(baseProt, fromHex(h))), 'malformed', `signed payload: ${why}`);
const protectedVariants = [
  ['a20126044856475aa75463474c', 'alg -7 (ES256)'],
  ['a2044856475aa75463474c0127', 'keys in reverse order'],
  ['a2012704580856475aa75463474c', 'kid head in two bytes'],
  ['b8020127044856475aa75463474c', 'map head in two bytes'],
  ['bf0127044856475aa75463474cff', 'indefinite map'],
  ['a301270300044856475aa75463474c', 'extra header (content type)'],
  ['a2013807044856475aa75463474c', 'alg -8 as 2-byte negint'],
  ['a20127044956475aa75463474c00', 'kid of 9 bytes'],
  ['a20127046856475aa75463474c', 'kid as tstr'],
  ['a201270127', 'alg twice'],
  ['a0', 'empty protected map'],
  ['', 'empty protected bstr'],
];
for (const [h, why] of protectedVariants) is(await atIat(signedText(fromHex(h), basePayload)), 'malformed', `signed protected: ${why}`);
{
  const ph = hex(baseProt);
  const yh = hex(basePayload);
  const sh = hex(p0.sig);
  const P = `4d${ph}`;
  const Y = `5836${yh}`;
  const S = `5840${sh}`;
  is(`d284${P}a0${Y}${S}`, hex(base45Decode(c0.credential.slice(4))), 'variant parts reassemble the canonical COSE (control)');
  const coseVariants = [
    [`d81284${P}a0${Y}${S}`, 'tag 18 in two bytes'],
    [`d9001284${P}a0${Y}${S}`, 'tag 18 in three bytes'],
    [`d2d284${P}a0${Y}${S}`, 'tag 18 twice'],
    [`c084${P}a0${Y}${S}`, 'tag 0'],
    [`d86284${P}a0${Y}${S}`, 'tag 98'],
    [`84${P}a0${Y}${S}`, 'no tag'],
    [`d29804${P}a0${Y}${S}`, 'array head in two bytes'],
    [`d29f${P}a0${Y}${S}ff`, 'indefinite array'],
    [`d285${P}a0${Y}${S}f6`, 'array of 5 items'],
    [`d283${P}a0${Y}`, 'array of 3 items'],
    [`d284${P}a0${Y}${S}00`, 'trailing byte'],
    [`d284${P}a0${Y}${S}d284${P}a0${Y}${S}`, 'two credentials back to back'],
    [`d284580d${ph}a0${Y}${S}`, 'protected bstr head in two bytes'],
    [`d284${ph}a0${Y}${S}`, 'protected as a map, not a bstr'],
    [`d284${P}b800${Y}${S}`, 'unprotected map head in two bytes'],
    [`d284${P}a10101${Y}${S}`, 'non-empty unprotected map'],
    [`d284${P}a10448${ph.slice(10, 26)}${Y}${S}`, 'unprotected kid'],
    [`d284${P}bfff${Y}${S}`, 'indefinite empty unprotected map'],
    [`d284${P}f6${Y}${S}`, 'unprotected as nil'],
    [`d284${P}a0590036${yh}${S}`, 'payload bstr head in three bytes'],
    [`d284${P}a05f${Y}ff${S}`, 'payload in an indefinite bstr'],
    [`d284${P}a0f6${S}`, 'payload nil (detached)'],
    [`d284${P}a0${yh}${S}`, 'payload as a map, not a bstr'],
    [`d284${P}a0${Y}590040${sh}`, 'signature head in three bytes'],
    [`d284${P}a0${Y}583f${sh.slice(0, 126)}`, 'signature of 63 bytes'],
    [`d284${P}a0${Y}5841${sh}00`, 'signature of 65 bytes'],
    [`d284${P}a0${Y}5f${S}ff`, 'signature in an indefinite bstr'],
    [`d284${P}a0${S}${Y}`, 'items in the wrong order'],
    // Hostile CBOR: refused without a crash, deep recursion or a big allocation.
    [`${'81'.repeat(680)}00`, '680 nested arrays'],
    [`${'d2'.repeat(680)}00`, '680 nested tags'],
    [`d284${'a1'.repeat(600)}`, '600 nested maps, no content'],
    ['9b0fffffffffffffff00', 'array of 2^60 items'],
    ['9a10000000', 'array of 2^28 items'],
    ['bb0fffffffffffffff', 'map of 2^60 entries'],
    ['d2845bffffffffffffffff', 'bstr of 2^64-1 bytes'],
    ['d2847bffffffffffffffff', 'tstr of 2^64-1 bytes'],
    ['d2849fffffffff', 'array of 4 with indefinite item'],
    ['d28400000000', 'four integers'],
    ['d284f7f6f5f4', 'simple values'],
    ['fb7ff8000000000000', 'a NaN'],
    ['ff', 'a lone break'],
    ['1c', 'reserved additional info'],
    ['', 'no bytes at all'],
  ];
  for (const [h, why] of coseVariants) is(await atIat(wrap(fromHex(h))), 'malformed', `cose: ${why}`);
}
// The text gate.
for (const [text, why] of [['', 'empty text'], ['AK1', 'prefix cut short'], ['AK1:', 'prefix only'],
  ['AK1:' + '0'.repeat(1021), '1025 characters'], ['AK1:' + '0'.repeat(1020), '1024 characters of zeros'],
  ['AK1:' + '0'.repeat(1019), '1023 characters of zeros'], [' ' + c0.credential, 'a leading space'],
  [c0.credential + '\n', 'a trailing newline'], [c0.credential.toLowerCase(), 'lowercase'],
  [c0.credential.replace('AK1:', 'AK1：'), 'a full-width colon']]) {
  is(await atIat(text), 'malformed', `text: ${why}`);
}
for (const v of [undefined, null, 42, {}]) is(parseCredential(v), null, `not a string (${v === null ? 'null' : typeof v}): nothing parsed`);

// ----------------------------------------------------- tamper properties
async function tamperBits(text, label) {
  const bytes = base45Decode(text.slice(4));
  const at = Number(parseCredential(text).claims.iat);
  let valid = 0;
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    const flip = bytes.slice();
    flip[bit >> 3] ^= 1 << (bit & 7);
    if ((await verifyCredential(wrap(flip), trustAt(false), at, skew)).result === 'valid') valid++;
  }
  ok(valid === 0, `${label}: none of ${bytes.length * 8} single-bit flips is valid`);
}
async function tamperChars(text, label) {
  const others = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:az_=\n\x80\xff\0';
  const at = Number(parseCredential(text).claims.iat);
  let valid = 0;
  let tries = 0;
  const check = async (t) => {
    tries++;
    if ((await verifyCredential(t, trustAt(false), at, skew)).result === 'valid') valid++;
  };
  for (let i = 0; i < text.length; i++) {
    for (const o of others) if (o !== text[i]) await check(text.slice(0, i) + o + text.slice(i + 1));
    await check(text.slice(0, i) + text.slice(i + 1));
  }
  for (let cut = 0; cut < text.length; cut++) await check(text.slice(0, cut));
  ok(valid === 0, `${label}: none of ${tries} character changes, deletions, truncations is valid`);
}
await tamperBits(creds.cases[0].credential, 'vector 0');
await tamperChars(creds.cases[0].credential, 'vector 0');
await tamperBits(creds.cases[3].credential, 'vector 3 (128-byte name)');

// -------------------------------------- test_lists.c's near-miss texts
const T_HEAD = 'ankang/trust/v1\nankang.test\n1767225600\n';
const T_KID = '56475aa75463474c';
const T_PK = 'A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=';
const T_ISS = `issuer ${T_KID} ${T_PK} 1767139200 1798761600\n`;
const T_LOG = 'log ankang.test/audit+f1b26f1f+AVbZmYa5DWlifiChnII+8vttX+Ms45ohuD3Qgm/gmrZK\n';
ok((await parseTrust(T_HEAD + T_ISS + T_LOG)).issuers.length === 1, 'the trust near-miss template itself parses');
const trustBad = [
  ['wrong magic', `ankang/trust/v2\nankang.test\n1767225600\n${T_ISS}${T_LOG}`],
  ['magic with trailing space', `ankang/trust/v1 \nankang.test\n1767225600\n${T_ISS}${T_LOG}`],
  ['empty origin', `ankang/trust/v1\n\n1767225600\n${T_ISS}${T_LOG}`],
  ['origin with a space', `ankang/trust/v1\nankang test\n1767225600\n${T_ISS}${T_LOG}`],
  ["origin with '+'", `ankang/trust/v1\nankang+test\n1767225600\n${T_ISS}${T_LOG}`],
  ['origin of 101 characters', `ankang/trust/v1\n${'o'.repeat(101)}\n1767225600\n${T_ISS}${T_LOG}`],
  ['issued with a leading zero', `ankang/trust/v1\nankang.test\n01767225600\n${T_ISS}${T_LOG}`],
  ["issued with '+'", `ankang/trust/v1\nankang.test\n+1767225600\n${T_ISS}${T_LOG}`],
  ['issued negative', `ankang/trust/v1\nankang.test\n-1\n${T_ISS}${T_LOG}`],
  ['issued overflows', `ankang/trust/v1\nankang.test\n18446744073709551616\n${T_ISS}${T_LOG}`],
  ['issued empty', `ankang/trust/v1\nankang.test\n\n${T_ISS}${T_LOG}`],
  ['not_before with a leading zero', `${T_HEAD}issuer ${T_KID} ${T_PK} 01767139200 1798761600\n${T_LOG}`],
  ['extra space between fields', `${T_HEAD}issuer ${T_KID}  ${T_PK} 1767139200 1798761600\n${T_LOG}`],
  ['two spaces after issuer', `${T_HEAD}issuer  ${T_KID} ${T_PK} 1767139200 1798761600\n${T_LOG}`],
  ['trailing space', `${T_HEAD}issuer ${T_KID} ${T_PK} 1767139200 1798761600 \n${T_LOG}`],
  ['tab separator', `${T_HEAD}issuer ${T_KID}\t${T_PK} 1767139200 1798761600\n${T_LOG}`],
  ['extra field', `${T_HEAD}issuer ${T_KID} ${T_PK} 1767139200 1798761600 1\n${T_LOG}`],
  ['missing field', `${T_HEAD}issuer ${T_KID} ${T_PK} 1767139200\n${T_LOG}`],
  ['uppercase kid hex', `${T_HEAD}issuer 56475AA75463474C ${T_PK} 1767139200 1798761600\n${T_LOG}`],
  ['kid not matching the key', `${T_HEAD}issuer 56475aa75463474d ${T_PK} 1767139200 1798761600\n${T_LOG}`],
  ['short kid', `${T_HEAD}issuer 56475aa75463474 ${T_PK} 1767139200 1798761600\n${T_LOG}`],
  ['non-canonical base64 key', `${T_HEAD}issuer ${T_KID} A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbh= 1767139200 1798761600\n${T_LOG}`],
  ['key without padding', `${T_HEAD}issuer ${T_KID} A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg 1767139200 1798761600\n${T_LOG}`],
  ['not_before > not_after', `${T_HEAD}issuer ${T_KID} ${T_PK} 1798761600 1767139200\n${T_LOG}`],
  ['repeated issuer', `${T_HEAD}${T_ISS}${T_ISS}${T_LOG}`],
  ['missing log line', `${T_HEAD}${T_ISS}`],
  ['log line before issuers', `${T_HEAD}${T_LOG}${T_ISS}`],
  ['two log lines', `${T_HEAD}${T_ISS}${T_LOG}${T_LOG}`],
  ['no issuers', `${T_HEAD}${T_LOG}`],
  ['log key with a wrong id', `${T_HEAD}${T_ISS}log ankang.test/audit+f1b26f1e+AVbZmYa5DWlifiChnII+8vttX+Ms45ohuD3Qgm/gmrZK\n`],
  ['log key text with trailing space', `${T_HEAD}${T_ISS}log ankang.test/audit+f1b26f1f+AVbZmYa5DWlifiChnII+8vttX+Ms45ohuD3Qgm/gmrZK \n`],
  ['log key with a non-ASCII name', `${T_HEAD}${T_ISS}log ankang.tëst/audit+f1b26f1f+AVbZmYa5DWlifiChnII+8vttX+Ms45ohuD3Qgm/gmrZK\n`],
  ['unknown line', `${T_HEAD}${T_ISS}witness x\n${T_LOG}`],
  ['blank line', `${T_HEAD}${T_ISS}\n${T_LOG}`],
  ['no final newline', `${T_HEAD}${T_ISS}${T_LOG.slice(0, -1)}`],
  ['trailing junk', `${T_HEAD}${T_ISS}${T_LOG}x`],
  ['CRLF line ends', `ankang/trust/v1\r\nankang.test\r\n1767225600\r\n${T_ISS}${T_LOG}`],
  ['Issuer capitalised', `${T_HEAD}Issuer ${T_KID} ${T_PK} 1767139200 1798761600\n${T_LOG}`],
  ['empty', ''],
  ['longer than 16384 bytes', `${T_HEAD}${T_ISS}${'x'.repeat(16384)}\n${T_LOG}`],
];
for (const [why, text] of trustBad) ok(await rejects(parseTrust(text)), `parseTrust refuses: ${why}`);
{
  let text = T_HEAD;
  for (let i = 0; i <= 64; i++) {
    const pk = new Uint8Array(32).fill(i);
    const kid = createHash('sha256').update(pk).digest().subarray(0, 8).toString('hex');
    text += `issuer ${kid} ${b64encode(pk)} 1 2\n`;
  }
  ok(await rejects(parseTrust(text + T_LOG)), 'parseTrust refuses: 65 issuers');
  const lines = text.split('\n');
  ok((await parseTrust(lines.slice(0, -2).join('\n') + '\n' + T_LOG)).issuers.length === 64, 'parseTrust takes 64 issuers');
}

const R_HEAD = 'ankang/revocations/v1\nankang.test\n1767225630\n';
const R_A = '000102030405060708090a0b0c0d0e0f\n';
const R_B = '2d711642b726b04401627ca9fbac32f5\n';
ok(parseRevocations(R_HEAD + R_A + R_B).revoked.size === 2, 'the revocation near-miss template itself parses');
ok(parseRevocations('ankang/revocations/v1\nankang.test\n0\n').revoked.size === 0, 'an empty revocation list parses');
const revocBad = [
  ['wrong magic', `ankang/revocation/v1\nankang.test\n1767225630\n${R_A}${R_B}`],
  ['origin with a space', `ankang/revocations/v1\nankang test\n1767225630\n${R_A}`],
  ['empty origin', `ankang/revocations/v1\n\n1767225630\n${R_A}`],
  ['issued with a leading zero', `ankang/revocations/v1\nankang.test\n01767225630\n${R_A}`],
  ['issued with a space', `ankang/revocations/v1\nankang.test\n 1767225630\n${R_A}`],
  ['issued missing', 'ankang/revocations/v1\nankang.test\n'],
  ['unsorted ctis', `${R_HEAD}${R_B}${R_A}`],
  ['duplicate ctis', `${R_HEAD}${R_A}${R_A}`],
  ['uppercase hex', `${R_HEAD}2D711642B726B04401627CA9FBAC32F5\n`],
  ['31 hex digits', `${R_HEAD}000102030405060708090a0b0c0d0e0\n`],
  ['33 hex digits', `${R_HEAD}000102030405060708090a0b0c0d0e0f0\n`],
  ['space after a cti', `${R_HEAD}000102030405060708090a0b0c0d0e0f \n`],
  ['non-hex character', `${R_HEAD}000102030405060708090a0b0c0d0e0g\n`],
  ['blank line', `${R_HEAD}${R_A}\n${R_B}`],
  ['no final newline', `${R_HEAD}000102030405060708090a0b0c0d0e0f`],
  ['trailing junk', `${R_HEAD}${R_A}x`],
  ['CRLF', `ankang/revocations/v1\r\nankang.test\r\n1767225630\r\n${R_A}`],
  ['no newline after issued', 'ankang/revocations/v1\nankang.test\n1767225630'],
  ['empty', ''],
];
for (const [why, text] of revocBad) ok(throws(() => parseRevocations(text)), `parseRevocations refuses: ${why}`);
{
  const many = (count) => {
    const out = [R_HEAD];
    for (let i = 0; i < count; i++) out.push(i.toString(16).padStart(32, '0') + '\n');
    return out.join('');
  };
  ok(parseRevocations(many(400000)).revoked.size === 400000, '400000 entries parse');
  ok(throws(() => parseRevocations(many(400001))), '400001 entries are refused');
}

done();
