// Base45 (RFC 9285) and a small, strict CBOR decoder (RFC 8949) for the
// credential of FORMAT.md §1, and nothing more general. It accepts only
// the one deterministic encoding (§4.2.1) of the types a credential uses:
//
//   unsigned and negative integers, byte and text strings, arrays, maps,
//   tags; each with a definite length in its shortest head; map keys in
//   strictly ascending bytewise order of their encodings (so no
//   duplicates); text that is valid UTF-8; nesting at most DEPTH_MAX deep;
//   and no byte left over after the item.
//
// Floats, simple values (false, true, null, undefined) and indefinite
// lengths are refused: a credential has none, and a decoder that does not
// know them cannot be talked into them. Every failure throws CborError;
// the caller turns that into the result word "malformed". Integers come
// back as BigInt, so a 64-bit value is never rounded.
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const DEPTH_MAX = 8;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class CborError extends Error {}

function fail(why) {
  throw new CborError(why);
}

// Base45 text to bytes, exactly as crypto/base45.c: a length of 3k+1, a
// character outside the alphabet, a triple above 65535 or a final pair
// above 255 has no preimage and is refused.
export function base45Decode(text) {
  if (text.length % 3 === 1) fail('base45 length');
  const digit = (i) => {
    const d = B45.indexOf(text[i]);
    if (d < 0 || text.charCodeAt(i) > 0x7f) fail('base45 character');
    return d;
  };
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  let i = 0;
  for (; i + 3 <= text.length; i += 3) {
    const v = digit(i) + digit(i + 1) * 45 + digit(i + 2) * 45 * 45;
    if (v > 0xffff) fail('base45 triple');
    out[o++] = v >> 8;
    out[o++] = v & 0xff;
  }
  if (i < text.length) {
    const v = digit(i) + digit(i + 1) * 45;
    if (v > 0xff) fail('base45 pair');
    out[o++] = v;
  }
  return out;
}

// One item's head: major type (0..7), and its argument as a BigInt, with
// the shortest-form rule applied. Returns [major, arg, next offset].
function head(bytes, at) {
  if (at >= bytes.length) fail('truncated');
  const ib = bytes[at];
  const major = ib >> 5;
  const info = ib & 0x1f;
  if (info < 24) return [major, BigInt(info), at + 1];
  if (info > 27) fail(info === 31 ? 'indefinite length' : 'reserved head');
  const n = 1 << (info - 24); // 1, 2, 4 or 8 bytes
  if (at + 1 + n > bytes.length) fail('truncated');
  let v = 0n;
  for (let k = 0; k < n; k++) v = (v << 8n) | BigInt(bytes[at + 1 + k]);
  // Shortest form: the value must not fit the next smaller head.
  const min = [24n, 0x100n, 0x10000n, 0x100000000n][info - 24];
  if (v < min) fail('not the shortest form');
  return [major, v, at + 1 + n];
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// item: {type: 'uint'|'nint'|'bytes'|'text'|'array'|'map'|'tag', ...}
//   uint  value (BigInt)      nint  value (BigInt, the negative number)
//   bytes value (Uint8Array)  text  value (string)
//   array items ([item])      map   entries ([[key item, value item]])
//   tag   tag (BigInt), item
// and for every item, raw: its exact bytes.
function item(bytes, at, depth) {
  if (depth > DEPTH_MAX) fail('nested too deep');
  const start = at;
  const [major, arg, next] = head(bytes, at);
  at = next;
  let out;
  switch (major) {
    case 0:
      out = { type: 'uint', value: arg };
      break;
    case 1:
      out = { type: 'nint', value: -1n - arg };
      break;
    case 2:
    case 3: {
      if (arg > BigInt(bytes.length - at)) fail('truncated');
      const body = bytes.subarray(at, at + Number(arg));
      at += Number(arg);
      if (major === 2) out = { type: 'bytes', value: body.slice() };
      else {
        try {
          out = { type: 'text', value: utf8.decode(body) };
        } catch {
          fail('text not UTF-8');
        }
      }
      break;
    }
    case 4: {
      // Each item takes at least a byte: a count past what is left is a lie.
      if (arg > BigInt(bytes.length - at)) fail('truncated');
      const items = [];
      for (let k = 0n; k < arg; k++) {
        const it = item(bytes, at, depth + 1);
        items.push(it);
        at += it.raw.length;
      }
      out = { type: 'array', items };
      break;
    }
    case 5: {
      if (arg * 2n > BigInt(bytes.length - at)) fail('truncated');
      const entries = [];
      let prev = null;
      for (let k = 0n; k < arg; k++) {
        const key = item(bytes, at, depth + 1);
        at += key.raw.length;
        if (prev && compareBytes(prev, key.raw) >= 0) fail('map keys not in order, or repeated');
        prev = key.raw;
        const value = item(bytes, at, depth + 1);
        at += value.raw.length;
        entries.push([key, value]);
      }
      out = { type: 'map', entries };
      break;
    }
    case 6: {
      const inner = item(bytes, at, depth + 1);
      at += inner.raw.length;
      out = { type: 'tag', tag: arg, item: inner };
      break;
    }
    default:
      fail('float or simple value');
  }
  out.raw = bytes.subarray(start, at);
  return out;
}

// Decodes exactly one item that spans all of bytes.
export function cborDecode(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) fail('empty');
  const it = item(bytes, 0, 0);
  if (it.raw.length !== bytes.length) fail('bytes left over');
  return it;
}

// The few encodings the verifier builds itself (the Sig_structure).
function encodeHead(major, n) {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

export function encodeArrayHead(n) {
  return Uint8Array.from(encodeHead(4, n));
}

export function encodeBytes(b) {
  return concat(Uint8Array.from(encodeHead(2, b.length)), b);
}

export function encodeText(s) {
  const b = new TextEncoder().encode(s);
  return concat(Uint8Array.from(encodeHead(3, b.length)), b);
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
