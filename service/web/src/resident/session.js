// What the page keeps in this browser for the person who is logged in:
// the session token (sent only in the Authorization header) and the last
// code, so that it shows after a reload with no network. Both go on
// log-out, on erasure and when the service says the session has ended.
//
// The code is kept as the page shows it: the credential, the server's SVG,
// the masked name (never the full one), the status, iat, exp, and skew
// (the service's clock minus this device's, in ms, when it was fetched),
// so the countdown is right even on a phone whose clock is off.
import { tokenStore } from '../lib/api.js';

export const token = tokenStore('resident');
const CODE = 'ankang.resident.code';

export function savedCode() {
  let c;
  try {
    c = JSON.parse(localStorage.getItem(CODE));
  } catch {
    return null;
  }
  const ok = c && typeof c.credential === 'string' && typeof c.svg === 'string' &&
    typeof c.name === 'string' && ['green', 'yellow', 'red'].includes(c.status) &&
    Number.isFinite(c.iat) && Number.isFinite(c.exp) && Number.isFinite(c.skew);
  return ok ? c : null;
}

export function saveCode(c) {
  localStorage.setItem(CODE, JSON.stringify(c));
}

export function forget() {
  token.clear();
  localStorage.removeItem(CODE);
}

// The masked form of a name, as the service masks names for officers
// (service/mask.c): first and last character with one '*' between, the
// first and a '*' for two, '*' for one. Characters are code points.
export function maskName(name) {
  const chars = [...name];
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}*${chars[chars.length - 1]}`;
}
