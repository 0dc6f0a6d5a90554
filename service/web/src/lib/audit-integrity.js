// Is the audit log intact? What the dashboard checks in the browser, with
// WebCrypto, before it shows anything from the log:
//
//  1. The keys. GET /v1/keys gives the root and log verifier keys; the
//     first answer is pinned in localStorage (trust on first use), and
//     afterwards a different key from the service is a warning and the
//     pinned one is still used. The root-signed trust list (GET
//     /v1/trust) must name the pinned log key on its `log` line.
//  2. The checkpoint (GET /v1/audit/checkpoint): a signed note that must
//     verify with the pinned log key (note.js openCheckpoint).
//  3. Consistency with the last checkpoint this browser saw (kept in
//     localStorage: origin, size, root, when first seen). A larger one is
//     checked with a consistency proof (merkle.js verifyConsistency) and,
//     if it holds, replaces it; a failed proof, the same size with another
//     root, or a smaller size (a rollback) raises an alarm, and the seen
//     checkpoint is kept as it was.
//  4. The witnesses (GET /v1/keys "witnesses", "witness_quorum"): each
//     one's cosignature on the checkpoint, checked (cosig.js), shown one
//     by one with whether the quorum was met. Shown, not pinned: the
//     resident page pins them, and ankang-audit --witness checks them
//     against keys the auditor chose.
//
// Alarms are kept in localStorage until the auditor acknowledges them
// (and afterwards, marked acknowledged, as a record), so a reload does not
// lose a warning, and the same inconsistency is not raised twice.
import { ApiError, OfflineError, apiJson, apiText } from './api.js';
import { b64decode, b64encode, hex } from './b64.js';
import { cosignatureStates, parseCosignerKey } from './cosig.js';
import { verifyConsistency } from './merkle.js';
import { openCheckpoint, parseVerifierKey } from './note.js';
import { openTrustList } from './trust.js';

const KEYS = 'ankang.audit.keys';
const SEEN = 'ankang.audit.seen';
const ALARMS = 'ankang.audit.alarms';
const MAX_ALARMS = 50;

function load(name) {
  try {
    return JSON.parse(localStorage.getItem(name) || 'null');
  } catch {
    return null;
  }
}
const save = (name, v) => localStorage.setItem(name, JSON.stringify(v));

// RFC 8032's first test key: WebCrypto either takes it or lacks Ed25519.
const PROBE = Uint8Array.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'.match(/../g),
  (h) => parseInt(h, 16));
export async function ed25519Supported() {
  try {
    await crypto.subtle.importKey('raw', PROBE, { name: 'Ed25519' }, false, ['verify']);
    return true;
  } catch {
    return false;
  }
}

// The key's fingerprint: SHA-256 of its 32-byte public key, in groups of
// four hex digits, for comparing with a published one by eye.
export async function fingerprint(key) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', key.pub));
  return hex(d).match(/.{4}/g).join(' ');
}

export function alarms() {
  const a = load(ALARMS);
  return Array.isArray(a) ? a : [];
}

function raise(alarm) {
  const all = alarms();
  const same = all.find((a) => a.id === alarm.id);
  if (same) return same;
  all.push({ ...alarm, detectedAt: Date.now(), ackAt: null });
  save(ALARMS, all.slice(-MAX_ALARMS));
  return all[all.length - 1];
}

export function acknowledge(id) {
  const all = alarms();
  for (const a of all) if (a.id === id && !a.ackAt) a.ackAt = Date.now();
  save(ALARMS, all);
}

export const seenCheckpoint = () => load(SEEN);

// Keys from the service, checked against the pinned ones. Returns
// {root, log: parsed keys to use, rootPinnedAt, logFirst, changed: [...]}.
async function pinnedKeys() {
  const served = await apiJson('GET', '/v1/keys');
  const pinned = load(KEYS);
  let use = pinned;
  let first = false;
  const changed = [];
  if (!pinned || !pinned.root || !pinned.log) {
    use = { root: served.root, log: served.log, pinnedAt: Date.now() };
    first = true;
  } else {
    for (const which of ['root', 'log']) {
      if (served[which] !== pinned[which]) {
        changed.push(which);
        raise({ id: `key:${which}:${pinned[which]}:${served[which]}`, kind: 'key', which,
          pinned: pinned[which], served: served[which], pinnedAt: pinned.pinnedAt });
      }
    }
  }
  const root = await parseVerifierKey(use.root);
  const log = await parseVerifierKey(use.log);
  if (!root || !log) throw Object.assign(new Error('malformed key'), { stage: 'keys' });
  if (first) save(KEYS, use);
  return { root, log, pinnedAt: use.pinnedAt, first, changed, served };
}

// The whole check. token: the auditor's. Network and API errors are
// thrown as they come (api.js); what the checks find is in the answer:
//
//   {keys: {root, log, pinnedAt, first, changed, logFingerprint, rootFingerprint,
//           trust: 'ok' | 'mismatch' | 'bad' | 'unavailable', trustWhy},
//    checkpoint: {origin, size, root (base64)} | null, signature: 'good' | why,
//    witnesses: null (none named) | {quorum, cosigned, list: [{name,
//               state: 'good' | 'bad' | 'none' | 'badkey', time (seconds)}]},
//    consistency: {kind: 'first' | 'same' | 'grown' | 'unchecked' | 'inconsistent'
//                  | 'rollback', seen, previous, why}}
export async function checkLog(token) {
  const keys = await pinnedKeys();
  keys.logFingerprint = await fingerprint(keys.log);
  keys.rootFingerprint = await fingerprint(keys.root);
  try {
    const trust = await openTrustList(await apiText('GET', '/v1/trust'), keys.root);
    keys.trust = trust.log === keys.log.text ? 'ok' : 'mismatch';
    if (keys.trust === 'mismatch')
      raise({ id: `trust:${keys.log.text}:${trust.log}`, kind: 'trust', pinned: keys.log.text, listed: trust.log });
  } catch (e) {
    if (e instanceof OfflineError) throw e;
    keys.trust = e instanceof ApiError ? 'unavailable' : 'bad';
    keys.trustWhy = e instanceof ApiError ? e.code : e.message;
  }

  const out = { keys, checkpoint: null, signature: null, consistency: null, witnesses: null };
  const note = await apiText('GET', '/v1/audit/checkpoint', { token });
  let cp;
  try {
    cp = await openCheckpoint(note, keys.log);
  } catch (e) {
    out.signature = e.message;
    return out;
  }
  out.signature = 'good';
  out.checkpoint = { origin: cp.origin, size: cp.size.toString(), root: b64encode(cp.root) };
  out.witnesses = await witnesses(keys.served, note);
  out.consistency = await consistency(token, out.checkpoint);
  return out;
}

// Each named witness's cosignature on the checkpoint note.
async function witnesses(served, note) {
  const named = Array.isArray(served.witnesses) ? served.witnesses.filter((w) => typeof w === 'string') : [];
  if (named.length === 0) return null;
  const parsed = await Promise.all(named.map(parseCosignerKey));
  const states = await cosignatureStates(note, parsed.filter(Boolean));
  const list = named.map((text, i) => {
    const st = parsed[i] && states.find((s) => s.witness === parsed[i]);
    return st ? { name: st.name, state: st.state, time: st.time === null ? null : Number(st.time) }
      : { name: text, state: 'badkey', time: null };
  });
  const quorum = Number.isSafeInteger(served.witness_quorum) ? served.witness_quorum : named.length;
  return { quorum, cosigned: list.filter((w) => w.state === 'good').length, list };
}

async function consistency(token, now) {
  const seen = load(SEEN);
  const keep = () => save(SEEN, { ...now, seenAt: Date.now() });
  if (!seen || seen.origin !== now.origin || typeof seen.size !== 'string' || typeof seen.root !== 'string') {
    keep();
    return { kind: 'first', seen: load(SEEN) };
  }
  const oldSize = BigInt(seen.size);
  const newSize = BigInt(now.size);
  const alarm = (kind, why) => {
    const a = raise({ id: `${kind}:${seen.size}:${seen.root}:${now.size}:${now.root}`, kind,
      old: { size: seen.size, root: seen.root, seenAt: seen.seenAt }, new: { size: now.size, root: now.root } });
    return { kind, seen, now, alarm: a, why };
  };
  if (newSize < oldSize) return alarm('rollback');
  if (newSize === oldSize)
    return seen.root === now.root ? { kind: 'same', seen } : alarm('inconsistent', 'root mismatch');
  if (oldSize === 0n) {
    // The empty tree is a prefix of every tree: nothing to prove.
    keep();
    return { kind: 'grown', seen: load(SEEN), previous: seen };
  }
  let proof;
  try {
    proof = await apiJson('GET', `/v1/audit/proof/consistency?old=${seen.size}&new=${now.size}`, { token });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw e;
    return { kind: 'unchecked', seen, why: e instanceof ApiError ? e.code : 'network' };
  }
  try {
    const hashes = (proof.proof || []).map((p) => {
      const b = b64decode(p);
      if (!b) throw new Error('malformed proof');
      return b;
    });
    await verifyConsistency(oldSize, newSize, hashes, b64decode(seen.root), b64decode(now.root));
  } catch (e) {
    return alarm('inconsistent', e.message);
  }
  keep();
  return { kind: 'grown', seen: load(SEEN), previous: seen };
}
