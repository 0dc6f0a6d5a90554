// The code: the service's QR drawing in the status colour, the status in
// words in both languages, the masked name, and how long it has left.
//
// A code lives --code-ttl seconds (five minutes by default). The page asks
// for a fresh one a fifth of that before it expires (at least 5 s, at most
// a minute before), so a screenshot soon stops working while the code on
// the screen never does. Every fetch is an audited `issue`, so the page
// does not fetch more often than that: when it opens, when it comes back
// into view with less than half of its code's life left, and when the
// person asks.
//
// With no network the last code stays, from localStorage, with its expiry
// and a notice that the page is offline; once it has expired it is marked
// so, over the image and in its text alternative, and the page tries
// again as soon as the network is back.
//
// The same card shows a household member's code when the guardian picks
// one (household.js calls showFor): fetched from the member's endpoint,
// never kept in localStorage, and given up for mine when the service says
// the link is gone (404) or not yet confirmed (403).
import { ApiError, OfflineError, apiJson } from '../lib/api.js';
import { $ } from '../lib/dom.js';
import { both, currentLang, t } from '../lib/i18n.js';
import { maskName, saveCode, savedCode, token } from './session.js';

const RETRY_MS = 5000;

let code = null; // as session.js keeps it
let blobUrl = null;
let offline = false;
let failed = null; // the last fetch's failure other than offline, for words
let fetching = null;
let refreshTimer = 0;
let tickTimer = 0;
let onEnded = () => {};
let running = false;
let member = null; // the household member's handle whose code is shown, or null: mine
let onMemberGone = () => {};

const serverNow = () => Date.now() + (code ? code.skew : 0);
const lifetime = (c) => (c.exp - c.iat) * 1000;
const lead = (c) => Math.min(60000, Math.max(5000, lifetime(c) / 5));
export const remaining = () => (code ? code.exp * 1000 - serverNow() : 0);
export const expired = () => !code || remaining() <= 0;

function clock(ms, seconds = false) {
  return new Date(ms).toLocaleTimeString(currentLang(), {
    hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined, hour12: false,
  });
}

function dateTime(ms) {
  return new Date(ms).toLocaleString(currentLang(), {
    year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false,
  });
}

function left(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? t('resident.code.left_ms', { m, s: s % 60 }) : t('resident.code.left_s', { s });
}

function say(text) {
  const live = $('#code-say');
  live.textContent = '';
  // A fresh text node, so a screen reader says it even when it repeats.
  setTimeout(() => {
    live.textContent = text;
  }, 50);
}

function setImage(svg) {
  if (blobUrl) URL.revokeObjectURL(blobUrl);
  blobUrl = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  $('#code-qr').src = blobUrl;
  $('#print-qr').src = blobUrl;
}

// Everything that depends on the time: redrawn every second.
function tick() {
  $('#code-card').hidden = !code;
  if (!code) {
    notice();
    return;
  }
  const rem = remaining();
  const isExpired = rem <= 0;
  const until = clock(code.exp * 1000);
  const card = $('#code-card');
  const wasExpired = card.classList.contains('expired');
  card.classList.toggle('expired', isExpired);
  $('#code-expired-mark').hidden = !isExpired;
  $('#code-expired-mark').textContent = both('resident.code.expired_mark');
  const status = t(`resident.status_word.${code.status}`);
  $('#code-qr').alt = isExpired
    ? t('resident.code.alt_expired', { name: code.name, status, time: until })
    : t('resident.code.alt', { name: code.name, status, time: until });
  $('#code-expiry').textContent = isExpired
    ? t(offline ? 'resident.code.expired_offline' : 'resident.code.expired', { time: until })
    : t('resident.code.valid_for', { left: left(rem), time: until });
  $('#code-bar').style.width = `${Math.max(0, Math.min(100, (rem / lifetime(code)) * 100))}%`;
  $('#code-now').textContent = t('resident.code.now', { time: clock(Date.now(), true) });
  if (isExpired && !wasExpired) say(t('resident.code.expired', { time: until }));
  notice();
}

function notice() {
  const n = $('#code-offline');
  let text = '';
  if (!code) text = offline ? t('resident.code.offline_none') : failed ? t('resident.code.fetch_failed') : t('common.loading');
  else if (offline) text = expired() ? t('resident.code.offline_expired') : t('resident.code.offline', { time: clock(code.exp * 1000) });
  else if (failed) text = t('resident.code.fetch_failed');
  n.hidden = !text;
  n.classList.toggle('warn', offline || !!failed);
  if (n.textContent !== text) n.textContent = text;
}

export function render() {
  if (!code) {
    tick();
    return;
  }
  const card = $('#code-card');
  card.classList.remove('status-green', 'status-yellow', 'status-red');
  card.classList.add(`status-${code.status}`);
  $('#code-status').textContent = both(`status.${code.status}`);
  $('#code-name').textContent = code.name;
  $('#print-status').textContent = both(`status.${code.status}`);
  $('#print-name').textContent = code.name;
  $('#print-expiry').textContent = t('resident.print.valid_until', { time: dateTime(code.exp * 1000) });
  $('#print-qr').alt = t('resident.code.alt', {
    name: code.name, status: t(`resident.status_word.${code.status}`), time: clock(code.exp * 1000),
  });
  $('#print-card').className = `print-card status-${code.status}`;
  tick();
}

function schedule(ms) {
  clearTimeout(refreshTimer);
  if (running) refreshTimer = setTimeout(() => refresh(), Math.max(0, ms));
}

async function fetchCode() {
  const sent = Date.now();
  const path = member ? `/v1/me/household/${member}/code?with=svg` : '/v1/me/code?with=svg';
  const r = await apiJson('GET', path, { token: token.get() });
  const got = Date.now();
  if (typeof r.svg !== 'string' || !['green', 'yellow', 'red'].includes(r.status))
    throw new ApiError(200, 'bad_answer');
  return {
    credential: r.credential,
    svg: r.svg,
    name: maskName(r.name),
    status: r.status,
    iat: r.iat,
    exp: r.exp,
    // The service signed at iat, somewhere between sending and receiving.
    skew: r.iat * 1000 - (sent + got) / 2,
  };
}

// Gets a fresh code now (one at a time); resolves when done or failed.
export function refresh() {
  if (fetching) return fetching;
  fetching = (async () => {
    const before = code;
    const whose = member;
    try {
      const next = await fetchCode();
      if (whose !== member) return; // switched while it came
      code = next;
      offline = false;
      failed = null;
      if (!member) saveCode(code);
      setImage(code.svg);
      render();
      if (before && before.status !== code.status)
        say(t('resident.code.status_changed', { status: both(`status.${code.status}`) }));
      schedule(remaining() - lead(code));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        onEnded();
        return;
      }
      if (member && whose === member && e instanceof ApiError && (e.status === 404 || e.status === 403)) {
        const gone = member;
        showFor(null);
        onMemberGone(gone);
        return;
      }
      if (e instanceof OfflineError) {
        if (!offline) say(t('resident.code.went_offline'));
        offline = true;
      } else {
        failed = e;
      }
      tick();
      schedule(RETRY_MS);
    } finally {
      fetching = null;
    }
  })();
  return fetching;
}

function visible() {
  if (document.visibilityState !== 'visible' || !running) return;
  tick();
  if (!code || remaining() < lifetime(code) / 2) refresh();
}

function online() {
  if (running) refresh();
}

// Shows the saved code at once (no service call needed), then gets a
// fresh one. ended() runs when the service says the session is over.
export function start(ended) {
  onEnded = ended;
  if (running) return;
  running = true;
  code = savedCode();
  offline = !navigator.onLine;
  if (code) setImage(code.svg);
  render();
  tickTimer = setInterval(tick, 1000);
  document.addEventListener('visibilitychange', visible);
  window.addEventListener('online', online);
  refresh();
}

export function stop() {
  running = false;
  member = null;
  clearTimeout(refreshTimer);
  clearInterval(tickTimer);
  document.removeEventListener('visibilitychange', visible);
  window.removeEventListener('online', online);
  code = null;
  offline = false;
  failed = null;
  if (blobUrl) URL.revokeObjectURL(blobUrl);
  blobUrl = null;
  $('#code-qr').removeAttribute('src');
  $('#print-qr').removeAttribute('src');
}

export const hasCode = () => !!code;

// Shows a household member's code (their handle), or mine (null), at
// once: the card empties until the new code comes. gone(handle) runs when
// the service refuses a member's code (removed, withdrawn, pending).
export function showFor(handle, gone) {
  if (gone) onMemberGone = gone;
  if (handle === member) return;
  member = handle;
  clearTimeout(refreshTimer);
  code = member ? null : savedCode();
  failed = null;
  if (code) setImage(code.svg);
  else {
    $('#code-qr').removeAttribute('src');
    $('#print-qr').removeAttribute('src');
  }
  render();
  if (running) refresh();
}

export const showing = () => member;

// Print: a fresh code first when the network allows, so the card lasts
// as long as a code can.
export async function printCard() {
  if (!offline) await refresh();
  if (!running || !code) return; // not once the session has ended
  // A fresh code's picture is decoded before the print dialog takes the
  // page: else the printed card can show the old picture, or none.
  // decode() fails for an image that cannot be shown; the card is
  // printed then all the same, its name, status and time in words.
  await $('#print-qr').decode().catch(() => {});
  if (running && code) window.print();
}
