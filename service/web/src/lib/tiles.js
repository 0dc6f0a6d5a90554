// The log as C2SP tlog-tiles (docs/API.md, "The log as tiles"), read from
// the page: hash tiles fetched from /log/tile/..., which are public (no
// token), and from them the RFC 6962 inclusion proof of any leaf, as Go's
// tlog.ProveRecord does over a tlog.TileHashReader. Nothing here trusts a
// tile: the proof built from tiles is checked by merkle.js against a
// signed checkpoint's root, and a tile that lies makes that check fail.
//
//   tile/<L>/<N>[.p/<W>]   the hashes at tree level 8L, nodes N*256 ..
//                          N*256+W-1 (256 in a full tile); N is written in
//                          groups of three digits, all but the last led by
//                          "x" (1234067 is x001/x234/067)
//
// A full tile never changes, so it is kept in memory for the page's life;
// a partial one is fetched for each proof (it is the right edge of the
// tree, and a newer checkpoint will want a wider one). Indexes and sizes
// are BigInt, as in merkle.js.
import { apiBytes } from './api.js';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
const HASH = 32;
const W = BigInt(TILE_WIDTH);
const H = BigInt(TILE_HEIGHT);

// "x001/x234/067" for 1234067n.
function indexPath(n) {
  const groups = [];
  do {
    groups.unshift(String(n % 1000n).padStart(3, '0'));
    n /= 1000n;
  } while (n > 0n);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

// The path of hash tile (level, n) of the given width (TILE_WIDTH: full).
export function tilePath(level, n, width = TILE_WIDTH) {
  const w = Number(width);
  if (!(level >= 0 && level <= 63) || n < 0n || !(w >= 1 && w <= TILE_WIDTH)) throw new Error('no such tile');
  return `tile/${level}/${indexPath(BigInt(n))}${w === TILE_WIDTH ? '' : `.p/${w}`}`;
}

// How many nodes at tree level 8*level a tree of size leaves has complete.
const nodesAt = (level, size) => size >> (H * BigInt(level));

async function sha256(...parts) {
  const buf = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}
const ONE = Uint8Array.of(1);
const children = (l, r) => sha256(ONE, l, r);

// The largest power of two below n (n > 1).
function splitAt(n) {
  let k = 1n;
  while (k << 1n < n) k <<= 1n;
  return k;
}
const isPow2 = (n) => n > 0n && (n & (n - 1n)) === 0n;
const log2 = (n) => BigInt(n.toString(2).length - 1);

// A reader of one log's hash tiles. fetchBytes(path) resolves to the bytes
// at <prefix>/<path> or throws (api.js's errors: an ApiError 404 for a
// tile the service does not have); the page's default is /log/.
export function tileReader(fetchBytes = (path) => apiBytes('GET', `/log/${path}`)) {
  const full = new Map(); // path -> Uint8Array, full tiles only

  async function fetchTile(level, n, width) {
    const path = tilePath(level, n, width);
    if (width === TILE_WIDTH && full.has(path)) return full.get(path);
    let data;
    try {
      data = await fetchBytes(path);
    } catch (e) {
      // A partial tile may be gone once its tile is full (the spec lets a
      // server stop serving it): the full tile's first hashes are the same.
      if (width === TILE_WIDTH || e?.status !== 404) throw e;
      return (await fetchTile(level, n, TILE_WIDTH)).subarray(0, width * HASH);
    }
    if (!(data instanceof Uint8Array) || data.length !== width * HASH) throw new Error('malformed tile');
    if (width === TILE_WIDTH) full.set(path, data);
    return data;
  }

  // The root of the perfect subtree of 2^h leaves whose index at height h
  // is i, in a tree of size leaves that holds it whole: read from the tile
  // at level floor(h/8), hashed up the h%8 levels a tile does not store.
  async function node(h, i, size) {
    const level = Number(h / H);
    const r = h % H;
    const first = i << r;
    const n = first / W;
    const left = nodesAt(level, size) - n * W; // nodes from this tile's first on
    const width = left >= W ? TILE_WIDTH : Number(left);
    const tile = await fetchTile(level, n, width);
    const off = Number(first % W);
    let hs = [];
    for (let k = 0; k < 1 << Number(r); k++) hs.push(tile.subarray((off + k) * HASH, (off + k + 1) * HASH));
    while (hs.length > 1) {
      const up = [];
      for (let k = 0; k < hs.length; k += 2) up.push(await children(hs[k], hs[k + 1]));
      hs = up;
    }
    return hs[0];
  }

  // MTH(D[lo:hi]) of RFC 6962: a perfect subtree read from its tile, or,
  // on the right edge where no stored node covers the range, hashed from
  // the perfect subtrees it splits into.
  async function range(lo, hi, size) {
    const n = hi - lo;
    if (isPow2(n) && lo % n === 0n) return node(log2(n), lo / n, size);
    const k = splitAt(n);
    return children(await range(lo, lo + k, size), await range(lo + k, hi, size));
  }

  // PATH(m, D[lo:hi]) of RFC 6962, the sibling nearest the leaf first.
  async function path(m, lo, hi, size) {
    if (hi - lo === 1n) return [];
    const k = splitAt(hi - lo);
    if (m < lo + k) return [...(await path(m, lo, lo + k, size)), await range(lo + k, hi, size)];
    return [...(await path(m, lo + k, hi, size)), await range(lo, lo + k, size)];
  }

  return {
    // The hash stored at tree level 8*level, index n, in a tree of size
    // leaves (level 0: a leaf's hash).
    hashAt: (level, n, size) => node(H * BigInt(level), BigInt(n), BigInt(size)),
    // {leafHash, proof} for leaf index in a tree of size leaves, from
    // tiles alone; unchecked until merkle.js verifyInclusion says so.
    async prove(index, size) {
      index = BigInt(index);
      size = BigInt(size);
      if (index < 0n || index >= size) throw new Error('index beyond the tree');
      return { leafHash: await node(0n, index, size), proof: await path(index, 0n, size, size) };
    },
    // Forgets the full tiles kept (after a proof that failed, so a tile
    // that lied once is not used again).
    forget: () => full.clear(),
    cached: () => full.size,
  };
}
