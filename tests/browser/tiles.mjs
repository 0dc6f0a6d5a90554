#!/usr/bin/env node
// The resident page's tile reader (service/web/src/lib/tiles.js), in Node
// (whose WebCrypto is the API the page uses):
//
//   - tile paths as C2SP tlog-tiles spells them (its own examples);
//   - random trees of many sizes, around 256 and 65536 among them, served
//     as tiles from memory: every proof built from tiles alone verifies
//     with merkle.js against the root computed here another way (the
//     level-by-level tree, odd nodes carried up), for the first, last and
//     random leaves; a tile with one byte changed fails the check; full
//     tiles are fetched once, partial ones each time; a partial tile the
//     server no longer serves is read from its full tile;
//   - a real ankangd with a log of 66,000 leaves (planted through the real
//     writer, tests/helpers/audit_append): proofs from its public /log/
//     tiles verify against its signed /log/checkpoint, and are the very
//     proofs its auditors' proof API gives.
//
// Leaves are made up and hold no personal data; nothing of them is printed.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, TOP } from './lib/harness.mjs';
import { b64encode } from '../../service/web/src/lib/b64.js';
import { verifyInclusion } from '../../service/web/src/lib/merkle.js';
import { openCheckpoint, parseVerifierKey } from '../../service/web/src/lib/note.js';
import { TILE_WIDTH, tilePath, tileReader } from '../../service/web/src/lib/tiles.js';

const h = await harness('tiles');
const fails = async (fn) => {
  try {
    await fn();
    return false;
  } catch {
    return true;
  }
};

// ------------------------------------------------------------- paths
h.is(tilePath(0, 1234067n), 'tile/0/x001/x234/067', 'the spec\'s example: 1234067 is x001/x234/067');
h.is(tilePath(1, 0n), 'tile/1/000', 'index 0 is 000');
h.is(tilePath(0, 5n, 17), 'tile/0/005.p/17', 'a partial tile: .p/W');
h.is(tilePath(2, 1000n, TILE_WIDTH), 'tile/2/x001/000', 'a full tile has no .p, and 1000 is x001/000');
h.is(tilePath(0, 273n, 112), 'tile/0/273.p/112', 'the 70,000-leaf example of docs/API.md: tile/0/273.p/112');
h.ok(await fails(() => tilePath(0, 0n, 0)) && await fails(() => tilePath(64, 0n)) &&
  await fails(() => tilePath(0, -1n)), 'no path for a width of 0, a level over 63 or a negative index');

// ------------------------------------------------------------- random trees
const sha = (...parts) => {
  const c = createHash('sha256');
  for (const p of parts) c.update(p);
  return new Uint8Array(c.digest());
};
const ZERO = Buffer.of(0);
const ONE = Buffer.of(1);

// levels[k]: the complete nodes at height k of a tree of leaf hashes.
function levels(leafHashes) {
  const out = [leafHashes];
  while (out[out.length - 1].length > 1) {
    const below = out[out.length - 1];
    const up = [];
    for (let i = 0; i + 1 < below.length; i += 2) up.push(sha(ONE, below[i], below[i + 1]));
    out.push(up);
  }
  return out;
}

// The root another way: level by level, an odd last node carried up.
function rootOf(leafHashes) {
  let level = leafHashes;
  while (level.length > 1) {
    const up = [];
    for (let i = 0; i < level.length; i += 2)
      up.push(i + 1 < level.length ? sha(ONE, level[i], level[i + 1]) : level[i]);
    level = up;
  }
  return level[0];
}

// A tile server over a tree's levels, strict about paths: 404 for a tile
// the tree does not have whole, or (partials: false) any partial tile.
const PATH = /^tile\/([0-9]|[1-5][0-9]|6[0-3])\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;
function server(lv, { partials = true, lie = null } = {}) {
  const seen = [];
  const notFound = () => Object.assign(new Error('no tile'), { status: 404 });
  const fetchBytes = async (path) => {
    seen.push(path);
    const m = PATH.exec(path);
    if (!m) throw Object.assign(new Error('bad tile'), { status: 400 });
    const level = Number(m[1]);
    const n = Number(m[2].replace(/x/g, '').replace(/\//g, ''));
    const width = m[3] ? Number(m[3]) : TILE_WIDTH;
    if (width > TILE_WIDTH || tilePath(level, BigInt(n), width) !== path) throw notFound();
    if (width < TILE_WIDTH && !partials) throw notFound();
    const nodes = lv[level * 8] || [];
    if (n * TILE_WIDTH + width > nodes.length) throw notFound();
    const out = new Uint8Array(width * 32);
    for (let k = 0; k < width; k++) out.set(nodes[n * TILE_WIDTH + k], k * 32);
    if (lie === path) for (let k = 0; k < width; k++) out[k * 32 + rand(32)] ^= 1;
    return out;
  };
  return { fetchBytes, seen };
}

const rand = (n) => Math.floor(Math.random() * n);
const sizes = [];
for (let s = 1; s <= 40; s++) sizes.push(s);
sizes.push(255, 256, 257, 300, 511, 512, 513, 1000, 4095, 4096, 4097, 1 + rand(20000), 65535, 65536, 65537, 70000);

const LEAVES = Array.from({ length: 70000 }, () => sha(ZERO, randomBytes(40)));
let proofs = 0;
let bad = [];
for (const size of sizes) {
  const lh = LEAVES.slice(0, size);
  const lv = levels(lh);
  const root = rootOf(lh);
  const { fetchBytes } = server(lv);
  const reader = tileReader(fetchBytes);
  const picks = size <= 40 ? [...Array(size).keys()]
    : [0, 1, 255, 256, size - 2, size - 1, rand(size), rand(size), rand(size)].filter((i) => i >= 0 && i < size);
  for (const i of picks) {
    const { leafHash, proof } = await reader.prove(BigInt(i), BigInt(size));
    const same = Buffer.compare(Buffer.from(leafHash), Buffer.from(lh[i])) === 0;
    if (!same || (await fails(() => verifyInclusion(leafHash, BigInt(i), BigInt(size), proof, root))))
      bad.push(`${i} of ${size}`);
    proofs++;
  }
}
h.ok(bad.length === 0, `${proofs} proofs from tiles, in ${sizes.length} trees of 1 to 70,000 leaves, verify with merkle.js`);
for (const b of bad.slice(0, 5)) h.diag(`leaf ${b}: not proven`);

// A tile whose hashes each have a bit changed: the proof does not verify,
// wherever the tile sits (the leaf's own tile, a level-1 tile, the right
// edge's partial tiles at levels 0, 1 and 2).
{
  const size = 66000;
  const lh = LEAVES.slice(0, size);
  const lv = levels(lh);
  const root = rootOf(lh);
  bad = [];
  const cases = [['tile/0/001', 300], ['tile/0/000', 10], ['tile/1/000', 300], ['tile/1/001.p/1', 300],
    ['tile/0/257.p/208', 300], ['tile/0/257.p/208', 65900], ['tile/2/000.p/1', 65900]];
  for (const [path, i] of cases) {
    const { fetchBytes, seen } = server(lv, { lie: path });
    const reader = tileReader(fetchBytes);
    const ok = !(await fails(async () => {
      const p = await reader.prove(BigInt(i), BigInt(size));
      await verifyInclusion(p.leafHash, BigInt(i), BigInt(size), p.proof, root);
    }));
    if (ok || !seen.includes(path)) bad.push(`${path} for leaf ${i}`);
  }
  h.ok(bad.length === 0, `${cases.length} tiles changed, each read for a proof: the proof fails every time`);
  for (const b of bad) h.diag(`${b}: changed, yet proven (or not read)`);
}

// Caching: full tiles once for the page's life, partial ones each time.
{
  const size = 70000;
  const lv = levels(LEAVES.slice(0, size));
  const { fetchBytes, seen } = server(lv);
  const reader = tileReader(fetchBytes);
  await reader.prove(100n, BigInt(size));
  const first = [...seen];
  seen.length = 0;
  await reader.prove(101n, BigInt(size));
  h.ok(first.some((p) => !p.includes('.p/')) && first.some((p) => p.includes('.p/')),
    'a proof reads full and partial tiles');
  h.is(seen.join(' '), first.filter((p) => p.includes('.p/')).join(' '),
    'a second proof fetches only the partial tiles again: the full ones are kept');
  reader.forget();
  seen.length = 0;
  await reader.prove(101n, BigInt(size));
  h.is(seen.length, first.length, 'forget() drops the kept tiles');
}

// A partial tile the server no longer serves, its tile being full now
// (the log has grown to 66,000 leaves; the proof is in its first 300).
{
  const lh = LEAVES.slice(0, 66000);
  const { fetchBytes, seen } = server(levels(lh), { partials: false });
  const reader = tileReader(fetchBytes);
  const p = await reader.prove(290n, 300n);
  h.ok(!(await fails(() => verifyInclusion(p.leafHash, 290n, 300n, p.proof, rootOf(lh.slice(0, 300))))) &&
    seen.includes('tile/0/001.p/44') && seen.includes('tile/0/001') &&
    seen.includes('tile/1/000.p/1') && seen.includes('tile/1/000'),
  'partial tiles that are gone (404) are read from the first hashes of their full tiles, at levels 0 and 1');
  const none = tileReader(server(levels(lh.slice(0, 300)), { partials: false }).fetchBytes);
  h.ok(await fails(() => none.prove(290n, 300n)), 'and with neither, the proof fails, not guessed at');
}

// ------------------------------------------------------------- a real ankangd
{
  const HELPERS = [process.env.ANKANG_HELPERS, join(h.bin, '../tests/helpers'), join(TOP, 'build/tests/helpers')]
    .find((d) => d && existsSync(join(d, 'audit_append')));
  if (!HELPERS) h.bail('tests/helpers/audit_append not built (make tests)');
  const SIZE = 66000;
  await h.init();
  const aud = h.account('auditor', 'inspector-1');
  h.account('verifier', 'checkpoint-1');
  const sql = (q) => h.sql(q);
  const vid = sql("select id from accounts where name = 'checkpoint-1'");
  const have = Number(sql('select count(*) from log_leaves'));
  const t0 = Date.now();
  let plant = '';
  for (let k = 1; k <= SIZE - have; k++) plant += `ankang/v1 ${t0 + k} verifier:${vid} verify_offline - - malformed -\n`;
  execFileSync(join(HELPERS, 'audit_append'), ['--data', h.data], { input: plant, stdio: ['pipe', 'ignore', 'ignore'] });
  h.is(Number(sql('select count(*) from log_leaves')), SIZE, `the log planted to ${SIZE} leaves`);
  const url = await h.serve(['--quiet']);
  let note = '';
  for (let k = 0; k < 200 && note.split('\n')[1] !== String(SIZE); k++) {
    const r = await fetch(`${url}/log/checkpoint`);
    note = r.ok ? await r.text() : '';
    if (note.split('\n')[1] !== String(SIZE)) await new Promise((res) => setTimeout(res, 100));
  }
  const key = await parseVerifierKey(readFileSync(join(h.data, 'public/log.vkey'), 'utf8').trim());
  const cp = await openCheckpoint(note, key);
  h.is(cp.size, BigInt(SIZE), 'GET /log/checkpoint, no token: signed by the log key, all the leaves');
  let fetched = 0;
  const reader = tileReader(async (path) => {
    fetched++;
    const r = await fetch(`${url}/log/${path}`);
    if (!r.ok) throw Object.assign(new Error(`${path}: ${r.status}`), { status: r.status });
    return new Uint8Array(await r.arrayBuffer());
  });
  const picks = [0, 1, 255, 256, 65535, 65536, SIZE - 1, ...Array.from({ length: 6 }, () => rand(SIZE))];
  bad = [];
  let same = 0;
  for (const i of picks) {
    const p = await reader.prove(BigInt(i), cp.size);
    if (await fails(() => verifyInclusion(p.leafHash, BigInt(i), cp.size, p.proof, cp.root))) bad.push(i);
    const api = await h.api('GET', `/v1/audit/proof/inclusion?index=${i}&size=${SIZE}`, aud);
    if (api.json && api.json.leaf_hash === b64encode(p.leafHash) &&
      JSON.stringify(api.json.proof) === JSON.stringify(p.proof.map(b64encode))) same++;
  }
  h.ok(bad.length === 0, `${picks.length} leaves (0, 255, 256, 65535, 65536, the last, random ones) proven from /log/ tiles`);
  h.is(same, picks.length, 'each the same leaf hash and proof as the auditors\' proof API gives');
  h.ok(fetched < picks.length * 12, `tiles fetched: ${fetched} (full tiles kept between proofs)`);
}

await h.done();
