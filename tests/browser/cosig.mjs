#!/usr/bin/env node
// The pages' check of witnesses' cosignatures (service/web/src/lib/
// cosig.js) against tests/vectors/cosig.json and crypto/cosig.c's rules,
// in Node, whose WebCrypto is the API the pages use:
//
//   - the known-answer vector (a key from a fixed seed, computed outside
//     ankang) parses and its line verifies on its checkpoint; the C2SP
//     spec's own note gives the signed message the spec prints;
//   - a cosigner key is not a note key and the other way round (type byte
//     0x04, not 0x01), and a key id that does not match is refused;
//   - lines by keys not listed are ignored, the log's own among them; a
//     listed key's line that is changed, cut short, or stamped beyond
//     2^63 - 1 (however well signed) fails the whole note;
//   - two witnesses: each found once, in the order listed.
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOP } from './lib/harness.mjs';
import { tap } from './lib/tap.mjs';
import { b64decode, b64encode } from '../../service/web/src/lib/b64.js';
import { cosignatureStates, openCosignatures, parseCosignerKey, signedMessage } from '../../service/web/src/lib/cosig.js';
import { parseVerifierKey } from '../../service/web/src/lib/note.js';

const { ok, is, done } = tap();
const fails = async (fn) => {
  try {
    await fn();
    return false;
  } catch {
    return true;
  }
};
const V = JSON.parse(readFileSync(join(TOP, 'tests/vectors/cosig.json'), 'utf8'));
const { kat, c2sp } = V;
const dec = new TextDecoder();

// The spec's note: the message a witness signs, as the spec prints it.
{
  const text = c2sp.cosigned_note.slice(0, c2sp.cosigned_note.indexOf('\n\n') + 1);
  is(dec.decode(signedMessage(text, BigInt(c2sp.timestamp))), c2sp.signed_message,
    "the signed message of the spec's example: header lines, then the checkpoint's text");
  const line = c2sp.cosigned_note.split('\n').find((l) => l.startsWith(`\u2014 ${c2sp.cosigner_name} `));
  const sig = b64decode(line.slice(line.lastIndexOf(' ') + 1));
  let t = 0n;
  for (let k = 4; k < 12; k++) t = (t << 8n) | BigInt(sig[k]);
  ok(sig.length === 76 && t === BigInt(c2sp.timestamp), "the spec's cosignature line: 76 bytes, its timestamp after the key id");
}

// The known answer.
const w1 = await parseCosignerKey(kat.vkey);
ok(w1 && w1.name === kat.name, 'the vector\'s cosigner key parses, with its name');
const note = `${kat.body}\n${kat.line}`;
const got = await openCosignatures(note, [w1]);
ok(got.length === 1 && got[0].name === kat.name && got[0].time === BigInt(kat.timestamp),
  'its cosignature verifies on the checkpoint, with its timestamp');
ok(await fails(() => openCosignatures(note.replace('20852163', '20852164'), [w1])),
  'a changed checkpoint fails');
ok((await parseVerifierKey(kat.vkey)) === null, 'a cosigner key (type 0x04) is not a note key');
// name+hex8+base64, the base64 itself holding a '+'.
const KEY_B64 = kat.vkey.slice(kat.vkey.indexOf('+', kat.vkey.indexOf('+') + 1) + 1);
const PUB = b64decode(KEY_B64).subarray(1);
const as01 = `${kat.name}+e75f6532+${b64encode(Uint8Array.of(0x01, ...PUB))}`;
ok((await parseCosignerKey(as01)) === null, 'the same key with type byte 0x01 is not a cosigner key');
ok((await parseCosignerKey(kat.vkey.replace('+e75f6532+', '+e75f6533+'))) === null, 'a wrong key id is refused');
ok((await parseCosignerKey('witness.example/w1')) === null && (await parseCosignerKey(42)) === null,
  'so is what is not a key');

// Cosignatures made here with the vector's seed, by crypto/cosig.c's rules.
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const priv = createPrivateKey({ key: Buffer.concat([PKCS8, Buffer.from(kat.seed_hex, 'hex')]), format: 'der', type: 'pkcs8' });
function cosign(name, id, text, time, { bytes = 76 } = {}) {
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(time);
  const s = sign(null, signedMessage(text, time), priv);
  const all = Buffer.concat([Buffer.from(id), ts, s]).subarray(0, bytes);
  return `\u2014 ${name} ${all.toString('base64')}\n`;
}
const mine = cosign(kat.name, w1.id, kat.body, BigInt(kat.timestamp));
is(mine, kat.line, 'a cosignature made here is the vector\'s line, byte for byte');

const LOG_LINE = '\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
const withLog = `${kat.body}\n${LOG_LINE}${kat.line}`;
is((await openCosignatures(withLog, [w1])).length, 1, "the log's own signature line is ignored");
const spec = c2sp.cosigned_note;
is((await openCosignatures(spec, [w1])).length, 0,
  "a line by another key (the spec's witness) is ignored: no cosignature by the listed one");
ok(await fails(() => openCosignatures(`${kat.body}\n${cosign(kat.name, w1.id, kat.body, 5n, { bytes: 75 })}`, [w1])),
  'a listed key\'s line of 75 bytes fails');
const huge = (1n << 63n);
ok(await fails(() => openCosignatures(`${kat.body}\n${cosign(kat.name, w1.id, kat.body, huge)}`, [w1])),
  'a timestamp of 2^63, well signed, fails');
ok((await openCosignatures(`${kat.body}\n${cosign(kat.name, w1.id, kat.body, huge - 1n)}`, [w1]))[0].time === huge - 1n,
  'one of 2^63 - 1 verifies');
const sigBytes = b64decode(kat.line.trim().split(' ').pop());
sigBytes[20] ^= 1;
ok(await fails(() => openCosignatures(`${kat.body}\n${LOG_LINE}\u2014 ${kat.name} ${b64encode(sigBytes)}\n`, [w1])),
  'a corrupted cosignature by a listed key fails the note, even beside a good log signature');
ok(await fails(() => openCosignatures(`${kat.body}\n${kat.line}${cosign(kat.name, w1.id, kat.body.replace('2085', '2086'), 7n)}`, [w1])),
  'a second line by the same key is checked too (one signed over another checkpoint fails)');
const again = `${kat.body}\n${kat.line}${cosign(kat.name, w1.id, kat.body, 7n)}`;
const twice = await openCosignatures(again, [w1]);
ok(twice.length === 1 && twice[0].time === BigInt(kat.timestamp), 'two good lines by one witness count once (the first time kept)');
ok(await fails(() => openCosignatures(kat.body + kat.line, [w1])), 'a note without its blank line is malformed');

// Two witnesses with one key: the same public key under another name.
const W2_ID = createHash('sha256').update(Buffer.concat([Buffer.from('witness.example/w2\n'), Buffer.of(4), PUB]))
  .digest().subarray(0, 4).toString('hex');
const w2 = await parseCosignerKey(`witness.example/w2+${W2_ID}+${KEY_B64}`);
ok(w2 !== null, 'a second cosigner key parses');
const both = `${kat.body}\n${LOG_LINE}${cosign('witness.example/w2', w2.id, kat.body, 9n)}${kat.line}`;
const two = await openCosignatures(both, [w1, w2]);
ok(two.length === 2 && two[0].name === kat.name && two[1].name === 'witness.example/w2' && two[1].time === 9n,
  'two witnesses: both found, in the order listed');
is((await openCosignatures(both, [w2])).map((c) => c.name).join(), 'witness.example/w2', 'only the listed ones count');

// One by one, for the auditors' dashboard: good, bad or none, never thrown.
const states = async (n, ws) => (await cosignatureStates(n, ws)).map((c) => c.state).join();
is(await states(both, [w1, w2]), 'good,good', 'one by one: both good');
is(await states(`${kat.body}\n${kat.line}`, [w1, w2]), 'good,none', 'one cosigned, the other did not');
is(await states(`${kat.body}\n${kat.line}${cosign('witness.example/w2', w2.id, kat.body, 9n, { bytes: 75 })}`, [w1, w2]),
  'good,bad', "one good, the other's line cut short: bad, and nothing thrown");
is(await states(`${kat.body}\n${kat.line}${cosign('witness.example/w2', w2.id, kat.body, 9n)}${cosign('witness.example/w2', w2.id, kat.body, huge)}`, [w1, w2]),
  'good,bad', 'a witness with a good line and a bad one is bad');

done();
