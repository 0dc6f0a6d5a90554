// Proving that an entry of my accesses is in the audit log, in the page,
// with WebCrypto and public files only: nothing here trusts the service's
// word, and nothing here needs my token.
//
//   1. The keys. GET /v1/keys names the root key, the log key and the
//      witnesses (their cosigner keys, and how many must cosign). The root
//      key is pinned in this browser the first time (trust on first use);
//      the log key must be the one the root-signed trust list names
//      (GET /v1/trust, FORMAT.md §4: "log <vkey>"), and is pinned too; so
//      are the witnesses and their quorum. A key that differs from its
//      pin, a pinned witness no longer named, or a quorum lower than the
//      pinned one is never used: the page says so, loudly, and proves
//      nothing with it. A witness added, or a quorum raised, is pinned.
//   2. The newest checkpoint (GET /log/checkpoint, public), whose Ed25519
//      signature must be the log key's and whose origin the log's; when
//      the service names witnesses, at least the quorum of them must have
//      cosigned it (cosig.js), and a bad cosignature by one of them fails.
//   3. The inclusion proof for the entry's index in a tree of the
//      checkpoint's size, built from the log's public hash tiles
//      (GET /log/tile/..., tiles.js), leaf hash included, and checked as
//      RFC 6962 to the checkpoint's root (merkle.js): that check is what
//      makes every tile hash used trustworthy, so a tile that lies fails.
//
// What that shows, and what it does not: a resident cannot read a leaf's
// bytes, only its hash, so the check shows that an entry with that hash
// sits at that place in the log the log key signed, which auditors check
// and in which no entry can later be removed or changed without them
// noticing; with witnesses, that organisations outside the service saw
// that same log, so it cannot show this browser a history other than
// theirs. It does not show that the entry says what the list says (time,
// who, what): only an auditor, who reads the leaf, can see that.
import { ApiError, OfflineError, apiJson, apiText } from '../lib/api.js';
import { openCosignatures, parseCosignerKey } from '../lib/cosig.js';
import { verifyInclusion } from '../lib/merkle.js';
import { openCheckpoint, openNote, parseVerifierKey } from '../lib/note.js';
import { tileReader } from '../lib/tiles.js';

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

// {root, log, witnesses?, quorum?}: witnesses and quorum are missing from
// pins made before the service named any, and are then pinned at first use.
function pins() {
  try {
    const p = JSON.parse(localStorage.getItem(PINS));
    return p && typeof p.root === 'string' && typeof p.log === 'string' ? p : null;
  } catch {
    return null;
  }
}

const isWitnessPin = (p) => Array.isArray(p.witnesses) && p.witnesses.every((w) => typeof w === 'string') &&
  Number.isSafeInteger(p.quorum);

// The witnesses the service names: {witnesses: [vkey text], quorum}, or
// null when the answer is malformed. No list: none; no quorum: all of them.
function servedWitnesses(keys) {
  const witnesses = keys.witnesses ?? [];
  const quorum = keys.witness_quorum ?? witnesses.length;
  if (!Array.isArray(witnesses) || !witnesses.every((w) => typeof w === 'string') ||
    new Set(witnesses).size !== witnesses.length || !Number.isSafeInteger(quorum) || quorum < 0 ||
    quorum > witnesses.length)
    return null;
  return { witnesses, quorum };
}

async function ed25519() {
  try {
    await crypto.subtle.importKey('raw', new Uint8Array(32), { name: 'Ed25519' }, false, ['verify']);
    return true;
  } catch {
    return false;
  }
}

let trusted = null; // once checked in this page's life
const reader = tileReader(); // its full tiles kept for the page's life

// What proofs are checked with: {log: the log's verifier key, witnesses:
// [cosigner keys], quorum}, checked as above; throws KeyChanged (its
// message 'root', 'log' or 'witnesses'), NoCrypto or Failed('keys' |
// 'trust').
export async function trustedKeys() {
  if (trusted) return trusted;
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
    if (e instanceof ApiError || e instanceof OfflineError) throw e;
    throw new Failed('trust');
  }
  const lines = text.split('\n');
  const named = lines.filter((l) => l.startsWith('log ')).map((l) => l.slice(4));
  if (lines[0] !== 'ankang/trust/v1' || named.length !== 1 || named[0] !== keys.log)
    throw new Failed('trust');
  if (pinned && pinned.log !== named[0]) throw new KeyChanged('log');
  const key = await parseVerifierKey(named[0]);
  const served = servedWitnesses(keys);
  if (!key || !served) throw new Failed('keys');
  if (pinned && isWitnessPin(pinned) &&
    (pinned.witnesses.some((w) => !served.witnesses.includes(w)) || served.quorum < pinned.quorum))
    throw new KeyChanged('witnesses');
  const witnesses = await Promise.all(served.witnesses.map(parseCosignerKey));
  if (witnesses.includes(null)) throw new Failed('keys');
  localStorage.setItem(PINS, JSON.stringify({ root: keys.root, log: named[0], ...served }));
  trusted = { log: key, witnesses, quorum: served.quorum };
  return trusted;
}

// Proves the entry at index; resolves to {size (a BigInt), witnesses: the
// number of named witnesses that cosigned the checkpoint}, or throws
// NotYet (no checkpoint served covers it yet), KeyChanged, NoCrypto,
// Failed(reason) or the API's own errors (OfflineError, ApiError).
export async function proveEntry(index) {
  const keys = await trustedKeys();
  let note;
  try {
    note = await apiText('GET', '/log/checkpoint');
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new NotYet();
    throw e;
  }
  let cp;
  try {
    cp = await openCheckpoint(note, keys.log);
  } catch {
    throw new Failed('checkpoint');
  }
  let cosigned = [];
  if (keys.witnesses.length > 0) {
    try {
      cosigned = await openCosignatures(note, keys.witnesses);
    } catch {
      throw new Failed('cosignature');
    }
    if (cosigned.length < keys.quorum) throw new Failed('witnesses');
  }
  if (BigInt(index) >= cp.size) throw new NotYet();
  let proof;
  try {
    proof = await reader.prove(BigInt(index), cp.size);
  } catch (e) {
    if (e instanceof ApiError || e instanceof OfflineError) throw e;
    throw new Failed('proof');
  }
  try {
    await verifyInclusion(proof.leafHash, BigInt(index), cp.size, proof.proof, cp.root);
  } catch {
    reader.forget(); // a tile that lied once is not kept
    throw new Failed('proof');
  }
  return { size: cp.size, witnesses: cosigned.length };
}
