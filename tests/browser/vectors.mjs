#!/usr/bin/env node
// The pages' own checks of signed notes and Merkle proofs
// (service/web/src/lib/note.js, merkle.js) against the project's vectors
// (tests/vectors/): every positive case verifies and every negative one
// fails, as the C code's do (tests/unit/test_note.c, test_merkle.c). Runs
// in Node, whose WebCrypto is the API the pages use.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TOP } from './lib/harness.mjs';
import { tap } from './lib/tap.mjs';
import { b64decode } from '../../service/web/src/lib/b64.js';
import { openNote, parseVerifierKey, openCheckpoint } from '../../service/web/src/lib/note.js';
import { verifyInclusion, verifyConsistency } from '../../service/web/src/lib/merkle.js';

const { ok, done } = tap();
const fails = async (fn) => {
  try {
    await fn();
    return false;
  } catch {
    return true;
  }
};

const V = join(TOP, 'tests/vectors');
const notes = JSON.parse(readFileSync(join(V, 'note.json'), 'utf8'));

// Signed notes.
{
  const g = notes.go_xmod;
  const k = await parseVerifierKey(g.vkey);
  ok(k && k.name === 'PeterNeumann', 'go x/mod verifier key parses');
  const r = await openNote(g.note, [k]);
  ok(r.text === g.text, 'go x/mod note verifies and gives its text');
  const k2 = await parseVerifierKey(g.second_signer_vkey);
  const both = g.note + g.second_signer_line;
  ok((await openNote(both, [k, k2])).signers.length === 2, 'a note signed twice verifies under both keys');
  ok((await openNote(both, [k2])).signers[0] === 'EnochRoot', 'an unknown signer line is ignored');
  ok(await fails(() => openNote(g.note.replace('cryptography', 'Cryptography'), [k])),
    'a changed text fails');
  ok(await fails(() => openNote(g.note, [k2])), 'a note with no known signer fails');
  ok(await fails(() => openNote(g.note.slice(0, -1), [k])), 'a note without its final newline fails');
  ok(await fails(() => openNote(g.note.replace('\u2014', '-'), [k])), 'a signature line without the em dash fails');
  ok((await parseVerifierKey(g.vkey.replace(/\+c74f20a3\+/, '+c74f20a4+'))) === null,
    'a verifier key with a wrong key id is refused');
  ok((await parseVerifierKey(g.skey)) === null, 'a signer key is not a verifier key');
  const c = notes.c2sp;
  ok((await openNote(c.note, [await parseVerifierKey(c.vkey)])).signers.length === 1,
    'the C2SP specification note verifies');
  const s = notes.sumdb_checkpoint;
  const sk = await parseVerifierKey(s.vkey);
  ok(sk !== null, "sum.golang.org's verifier key parses ('+' inside its base64)");
  const cp = await openCheckpoint(s.note.replace('go.sum database tree', 'sum.golang.org'), sk).catch(() => null);
  ok(cp === null, "a checkpoint whose text was changed fails (the signature covers the origin)");
  const { text } = await openNote(s.note, [sk]);
  ok(text.startsWith('go.sum database tree\n6476701\n'), 'sum.golang.org checkpoint verifies');
}

// Merkle proofs: transparency-dev/merkle's golden corpus.
function* cases(dir) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* cases(p);
    else if (e.endsWith('.json')) yield [p.slice(V.length + 1), JSON.parse(readFileSync(p, 'utf8'))];
  }
}
const hashes = (list) => (list || []).map((h) => b64decode(h) || new Uint8Array(0));
const bytes = (h) => (h == null ? new Uint8Array(0) : b64decode(h) || new Uint8Array(0));

let incl = 0;
let inclBad = 0;
for (const [name, c] of cases(join(V, 'merkle/inclusion'))) {
  const failedNow = await fails(() =>
    verifyInclusion(bytes(c.leafHash), BigInt(c.leafIdx), BigInt(c.treeSize), hashes(c.proof), bytes(c.root)));
  if (failedNow !== !!c.wantErr) {
    inclBad++;
    console.log(`# inclusion ${name}: wanted ${c.wantErr ? 'an error' : 'success'}`);
  }
  incl++;
}
ok(incl > 50 && inclBad === 0, `all ${incl} inclusion vectors give the expected answer`);

let cons = 0;
let consBad = 0;
for (const [name, c] of cases(join(V, 'merkle/consistency'))) {
  const failedNow = await fails(() =>
    verifyConsistency(BigInt(c.size1), BigInt(c.size2), hashes(c.proof), bytes(c.root1), bytes(c.root2)));
  if (failedNow !== !!c.wantErr) {
    consBad++;
    console.log(`# consistency ${name}: wanted ${c.wantErr ? 'an error' : 'success'}`);
  }
  cons++;
}
ok(cons > 50 && consBad === 0, `all ${cons} consistency vectors give the expected answer`);

done();
