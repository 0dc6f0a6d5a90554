// The root-signed trust list (FORMAT.md §4), opened with WebCrypto:
//
//   ankang/trust/v1
//   <origin>
//   <issued, unix seconds>
//   issuer <kid hex16> <base64 pubkey32> <not_before> <not_after>   (one or more)
//   log <log verifier key text>
//
// openTrustList(note, rootKey) checks the root's signature and returns
// {origin, issued, issuers: [{kid, notBefore, notAfter}], log: "<key text>"},
// or throws an Error saying why.
import { openNote } from './note.js';

const NUM = /^(0|[1-9][0-9]{0,19})$/;

export function parseTrustList(text) {
  const lines = text.split('\n');
  if (lines.pop() !== '' || lines.length < 5 || lines[0] !== 'ankang/trust/v1')
    throw new Error('malformed trust list');
  const [, origin, issued] = lines;
  if (!origin || !NUM.test(issued)) throw new Error('malformed trust list');
  const issuers = [];
  let log = null;
  for (const line of lines.slice(3)) {
    const f = line.split(' ');
    if (f[0] === 'issuer' && f.length === 5 && /^[0-9a-f]{16}$/.test(f[1]) && NUM.test(f[3]) && NUM.test(f[4])) {
      if (log !== null) throw new Error('malformed trust list');
      issuers.push({ kid: f[1], notBefore: Number(f[3]), notAfter: Number(f[4]) });
    } else if (f[0] === 'log' && f.length === 2 && log === null) {
      log = f[1];
    } else {
      throw new Error('malformed trust list');
    }
  }
  if (issuers.length === 0 || log === null) throw new Error('malformed trust list');
  return { origin, issued: Number(issued), issuers, log };
}

export async function openTrustList(note, rootKey) {
  const { text } = await openNote(note, [rootKey]);
  return parseTrustList(text);
}
