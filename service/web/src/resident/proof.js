// Proving that an entry of my accesses is in the audit log, in the page,
// with WebCrypto: nothing here trusts the service's word.
//
//   1. The keys. GET /v1/keys names the root key and the log key. The
//      root key is pinned in this browser the first time (trust on first
//      use); the log key must be the one the root-signed trust list names
//      (GET /v1/trust, FORMAT.md §4: "log <vkey>"), and is pinned too. A
//      key that differs from its pin is never used: the page says so,
//      loudly, and proves nothing with it.
//   2. The newest checkpoint (GET /v1/audit/checkpoint), whose Ed25519
//      signature must be the log key's and whose origin the log's.
//   3. The inclusion proof (GET /v1/audit/proof/inclusion) for the entry's
//      index in a tree of the checkpoint's size, checked as RFC 6962 from
//      the leaf hash the service gives to the checkpoint's root.
//
// What that shows, and what it does not: a resident cannot read a leaf's
// bytes, only its hash, so the check shows that an entry with that hash
// sits at that place in the log the log key signed, which auditors check
// and in which no entry can later be removed or changed without them
// noticing. It does not show that the entry says what the list says
// (time, who, what): only an auditor, who reads the leaf, can see that.
import { apiJson, apiText, ApiError } from '../lib/api.js';
import { b64decode } from '../lib/b64.js';
import { verifyInclusion } from '../lib/merkle.js';
import { openCheckpoint, openNote, parseVerifierKey } from '../lib/note.js';

const PINS = 'ankang.resident.pins';

export class KeyChanged extends Error {}
export class NotYet extends Error {}
export class NoCrypto extends Error {}

// Why a check failed, as a word the page turns into a sentence.
export class Failed extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}

function pins() {
  try {
    const p = JSON.parse(localStorage.getItem(PINS));
    return p && typeof p.root === 'string' && typeof p.log === 'string' ? p : null;
  } catch {
    return null;
  }
}

async function ed25519() {
  try {
    await crypto.subtle.importKey('raw', new Uint8Array(32), { name: 'Ed25519' }, false, ['verify']);
    return true;
  } catch {
    return false;
  }
}

let logKey = null; // once checked in this page's life

// The log's verifier key, checked as above; throws KeyChanged, NoCrypto
// or Failed('keys').
export async function trustedLogKey() {
  if (logKey) return logKey;
  if (!globalThis.crypto?.subtle || !(await ed25519())) throw new NoCrypto();
  const keys = await apiJson('GET', '/v1/keys');
  const pinned = pins();
  if (pinned && pinned.root !== keys.root) throw new KeyChanged('root');
  const root = await parseVerifierKey(keys.root);
  if (!root) throw new Failed('keys');
  let text;
  try {
    ({ text } = await openNote(await apiText('GET', '/v1/trust'), [root]));
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new Failed('trust');
  }
  const lines = text.split('\n');
  const named = lines.filter((l) => l.startsWith('log ')).map((l) => l.slice(4));
  if (lines[0] !== 'ankang/trust/v1' || named.length !== 1 || named[0] !== keys.log)
    throw new Failed('trust');
  if (pinned && pinned.log !== named[0]) throw new KeyChanged('log');
  const key = await parseVerifierKey(named[0]);
  if (!key) throw new Failed('keys');
  if (!pinned) localStorage.setItem(PINS, JSON.stringify({ root: keys.root, log: named[0] }));
  logKey = key;
  return key;
}

// Proves the entry at index; resolves to the checkpoint's size (a
// BigInt), or throws NotYet (no signed checkpoint covers it yet),
// KeyChanged, NoCrypto, Failed(reason) or the API's own errors.
export async function proveEntry(index, tok) {
  const key = await trustedLogKey();
  let note;
  try {
    note = await apiText('GET', '/v1/audit/checkpoint', { token: tok });
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new NotYet();
    throw e;
  }
  let cp;
  try {
    cp = await openCheckpoint(note, key);
  } catch {
    throw new Failed('checkpoint');
  }
  if (BigInt(index) >= cp.size) throw new NotYet();
  const p = await apiJson('GET', `/v1/audit/proof/inclusion?index=${index}&size=${cp.size}`, { token: tok });
  const lh = b64decode(p.leaf_hash);
  const path = Array.isArray(p.proof) ? p.proof.map(b64decode) : null;
  if (String(p.index) !== String(index) || String(p.size) !== String(cp.size) || !lh || !path || path.includes(null))
    throw new Failed('proof');
  try {
    await verifyInclusion(lh, index, cp.size, path, cp.root);
  } catch {
    throw new Failed('proof');
  }
  return cp.size;
}
