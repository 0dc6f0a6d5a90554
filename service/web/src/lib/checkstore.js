// What the checkpoint page keeps in the browser's IndexedDB:
//
//   lists  the signed notes last fetched: {kind: 'trust'|'revocations', note}
//          (public, and checked against the pinned root key each time they
//          are read, so a changed copy is refused, not believed)
//   scans  checks made offline, waiting for POST /v1/scans: {id, account,
//          cti, time, result, sig}, the fields ankang-verify's spool keeps
//          (verifier/spool.h): never a name or a status. account is a hash
//          of the token that made them, so that only that account uploads
//          them. A scan the service refused (400: a clock far ahead when
//          it was made, say) gets refused: the error code, and is kept to
//          be told about but never sent again: one bad scan must not hold
//          back the ones queued after it.
const DB = 'ankang-check';
const VERSION = 1;
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('lists')) db.createObjectStore('lists', { keyPath: 'kind' });
        if (!db.objectStoreNames.contains('scans')) {
          const s = db.createObjectStore('scans', { keyPath: 'id' });
          s.createIndex('account', 'account');
        }
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    opening.catch(() => {
      opening = null;
    });
  }
  return opening;
}

// Runs fn(store) in a transaction; resolves with fn's request's result
// once the transaction has committed (so a scan shown is a scan stored).
async function tx(store, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, mode);
    let result;
    const req = fn(t.objectStore(store));
    if (req) req.onsuccess = () => (result = req.result);
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

export async function getList(kind) {
  const row = await tx('lists', 'readonly', (s) => s.get(kind));
  return row ? row.note : null;
}

export function putLists(trustNote, revocationsNote) {
  return tx('lists', 'readwrite', (s) => {
    s.put({ kind: 'trust', note: trustNote });
    s.put({ kind: 'revocations', note: revocationsNote });
  });
}

export function addScan(scan) {
  return tx('scans', 'readwrite', (s) => s.add(scan));
}

// The account's scans still to upload.
export async function scansOf(account) {
  const all = await tx('scans', 'readonly', (s) => s.index('account').getAll(account));
  return all.filter((x) => !x.refused);
}

// How many of the account's scans wait to upload, and how many the
// service refused.
export async function countScans(account) {
  const all = await tx('scans', 'readonly', (s) => s.index('account').getAll(account));
  const refused = all.filter((x) => x.refused).length;
  return { pending: all.length - refused, refused };
}

export function markRefused(id, code) {
  return tx('scans', 'readwrite', (s) => {
    const req = s.get(id);
    req.onsuccess = () => {
      if (req.result) s.put({ ...req.result, refused: code || 'refused' });
    };
  });
}

export function deleteScans(ids) {
  return tx('scans', 'readwrite', (s) => {
    for (const id of ids) s.delete(id);
  });
}
