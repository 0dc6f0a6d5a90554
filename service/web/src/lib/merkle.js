// RFC 6962 / RFC 9162 Merkle proofs (FORMAT.md §3.2), as
// transparency-dev/merkle's proof package checks them: the same golden
// vectors pass here (tests/browser/vectors.mjs). Indexes and sizes are
// BigInt, since a log's size can pass 2^53.
import { equalBytes } from './b64.js';

async function sha256(...parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

const ZERO = Uint8Array.of(0);
const ONE = Uint8Array.of(1);

export const leafHash = (leaf) => sha256(ZERO, leaf);
const node = (l, r) => sha256(ONE, l, r);

function bitLen(x) {
  let n = 0;
  while (x > 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

function popcount(x) {
  let n = 0;
  while (x > 0n) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}

function trailingZeros(x) {
  let n = 0;
  while (x > 0n && (x & 1n) === 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

function decompose(index, size) {
  const inner = bitLen(index ^ (size - 1n));
  const border = popcount(index >> BigInt(inner));
  return [inner, border];
}

async function chainInner(seed, proof, index) {
  for (let i = 0; i < proof.length; i++)
    seed = ((index >> BigInt(i)) & 1n) === 0n ? await node(seed, proof[i]) : await node(proof[i], seed);
  return seed;
}

async function chainInnerRight(seed, proof, index) {
  for (let i = 0; i < proof.length; i++)
    if (((index >> BigInt(i)) & 1n) === 1n) seed = await node(proof[i], seed);
  return seed;
}

async function chainBorderRight(seed, proof) {
  for (const h of proof) seed = await node(h, seed);
  return seed;
}

const isHash = (h) => h instanceof Uint8Array && h.length === 32;

function check(proof, ...hashes) {
  if (!Array.isArray(proof) || !proof.every(isHash) || !hashes.every(isHash))
    throw new Error('malformed proof');
}

// Throws unless proof shows leaf hash lh at index in the tree (size, root).
export async function verifyInclusion(lh, index, size, proof, root) {
  index = BigInt(index);
  size = BigInt(size);
  check(proof, lh);
  if (index < 0n || index >= size) throw new Error('index beyond the tree');
  const [inner, border] = decompose(index, size);
  if (proof.length !== inner + border) throw new Error('wrong proof length');
  let h = await chainInner(lh, proof.slice(0, inner), index);
  h = await chainBorderRight(h, proof.slice(inner));
  if (!equalBytes(h, root)) throw new Error('root mismatch');
}

// Throws unless proof shows the tree (size1, root1) is a prefix of
// (size2, root2).
export async function verifyConsistency(size1, size2, proof, root1, root2) {
  size1 = BigInt(size1);
  size2 = BigInt(size2);
  check(proof);
  // As crypto/merkle.c: an empty tree has no proof to give (RFC 9162
  // defines consistency from a non-empty tree).
  if (size2 < size1 || size1 <= 0n) throw new Error('sizes out of order');
  if (size1 === size2) {
    if (proof.length !== 0) throw new Error('wrong proof length');
    if (!equalBytes(root1, root2)) throw new Error('root mismatch');
    return;
  }
  if (proof.length === 0) throw new Error('wrong proof length');
  let [inner, border] = decompose(size1 - 1n, size2);
  const shift = trailingZeros(size1);
  inner -= shift;
  let seed = proof[0];
  let start = 1;
  if (size1 === 1n << BigInt(shift)) {
    seed = root1;
    start = 0;
  }
  if (proof.length !== start + inner + border) throw new Error('wrong proof length');
  const rest = proof.slice(start);
  const mask = (size1 - 1n) >> BigInt(shift);
  let h1 = await chainInnerRight(seed, rest.slice(0, inner), mask);
  h1 = await chainBorderRight(h1, rest.slice(inner));
  if (!equalBytes(h1, root1)) throw new Error('old root mismatch');
  let h2 = await chainInner(seed, rest.slice(0, inner), mask);
  h2 = await chainBorderRight(h2, rest.slice(inner));
  if (!equalBytes(h2, root2)) throw new Error('new root mismatch');
}
