// The checkpoint scanner (pages/check.html, served at /check).
//
// Views: signin (an account token, once per device), check (camera, a
// text field for typed or USB-scanned codes, and the last result filling
// the screen), keychanged (the service's root key is not the one pinned:
// nothing is checked).
//
// Online, every code goes to POST /v1/verify, which decides and audits.
// When the service cannot be reached, the code is checked here against
// the signed lists cached from GET /v1/trust and GET /v1/revocations,
// verified with the root key pinned at the first sign-in (lib/cred.js,
// lib/lists.js), and the scan is kept in IndexedDB (id, cti, time, result,
// signature: what ankang-verify's spool keeps) until POST /v1/scans takes
// it, so the holder sees it in their accesses as verify_offline.
import './check.css';
import { ApiError, OfflineError, apiJson, apiText, tokenStore } from './lib/api.js';
import { $, el, formatClock, formatTime, showErrors, showView } from './lib/dom.js';
import { applyTo, both, currentLang, langSwitch, onLangChange, otherLang, t, tIn } from './lib/i18n.js';
import { parseVerifierKey } from './lib/note.js';
import { openRevocations, openTrust } from './lib/lists.js';
import { DEFAULT_SKEW, TEXT_MAX, showsData, verifyCredential } from './lib/cred.js';
import { hex } from './lib/b64.js';
import * as store from './lib/checkstore.js';
import { startCamera, startIfAllowed, stopCamera } from './check_camera.js';
import { keepForOffline } from './lib/offline.js';

const RESULTS = ['valid', 'malformed', 'unknown_key', 'bad_signature', 'not_yet_valid', 'expired', 'revoked', 'superseded'];
const STATUSES = ['green', 'yellow', 'red'];
// ankang-verify's rule (verifier/commands.h, --stale): a revocation list
// issued longer ago than this misses codes revoked since. Offline, the
// page refuses to check against one (ankang-verify only warns).
const STALE_S = 600;
const DEBOUNCE_MS = 5000;
const REFRESH_MS = 60000;
const UPLOAD_PAGE = 50; // as ankang-verify sync: fits the service's body cap
const ROOT_KEY = 'ankang.check.root';

const token = tokenStore('verifier');
const state = {
  account: null, // hash of the token: whose offline scans are whose
  root: null, // the pinned root key (parseVerifierKey)
  lists: null, // {trust, revs}
  listsBad: false, // the service's lists did not verify
  online: navigator.onLine,
  pending: 0,
  refused: 0, // offline scans the service refused (kept, never resent)
  seen: new Map(), // code text -> when last seen (ms)
  shown: null, // the result on screen, to redraw on a language switch
  uploading: false,
  stopped: false, // the root key changed: nothing more is checked
  ed25519: true, // WebCrypto can verify Ed25519 here (offline checks need it)
};

// Any valid Ed25519 public key will do (this is the test vectors' issuer).
const PROBE_KEY = '03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8';

async function supportsEd25519() {
  try {
    const raw = Uint8Array.from(PROBE_KEY.match(/../g), (h) => parseInt(h, 16));
    await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
    return true;
  } catch {
    return false;
  }
}

// --------------------------------------------------------------- helpers

async function accountTag(tok) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`ankang-check-account\n${tok}`));
  return hex(new Uint8Array(d).slice(0, 16));
}

function randomId() {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

function clock(seconds) {
  const ms = Number(seconds) * 1000;
  const sameDay = new Date(ms).toDateString() === new Date().toDateString();
  return sameDay ? formatClock(ms, currentLang()) : formatTime(ms, currentLang());
}

function listAge() {
  return state.lists ? Date.now() / 1000 - Number(state.lists.revs.issued) : Infinity;
}

// Sentences one after another: a space between them in English, none
// after Chinese full stops.
function joinSentences(parts, lang = currentLang()) {
  return parts.filter(Boolean).join(lang === 'zh-CN' ? '' : ' ');
}

// The other language's words, for the line under a result's headline:
// someone at a checkpoint may read only one of the two.
const inOther = (key, vars) => tIn(otherLang(), key, vars);

// ------------------------------------------------------------ the lists

async function loadRoot() {
  const text = localStorage.getItem(ROOT_KEY);
  state.root = text ? await parseVerifierKey(text) : null;
}

// The lists held in IndexedDB, checked again with the pinned root.
async function loadLists() {
  if (!state.root) return;
  try {
    const [tn, rn] = await Promise.all([store.getList('trust'), store.getList('revocations')]);
    if (!tn || !rn) return;
    const trust = await openTrust(tn, state.root);
    const revs = await openRevocations(rn, state.root);
    if (trust.origin === revs.origin) state.lists = { trust, revs };
  } catch {
    state.lists = null; // a held copy that no longer verifies is not used
  }
}

// GET /v1/keys: pins the root key on first use; a different key later is
// refused loudly and stops the page. Returns false when stopped.
async function checkKeys() {
  const keys = await apiJson('GET', '/v1/keys');
  const pinned = localStorage.getItem(ROOT_KEY);
  if (pinned && keys.root !== pinned) {
    stopForKey();
    return false;
  }
  if (typeof keys.root !== 'string' || !keys.root.startsWith(`${keys.origin}/root+`)) throw new Error('keys');
  // Without Ed25519 the key is pinned all the same; only online checks work.
  const root = state.ed25519 ? await parseVerifierKey(keys.root) : null;
  if (state.ed25519 && !root) throw new Error('keys');
  if (!pinned) localStorage.setItem(ROOT_KEY, keys.root);
  state.root = root;
  return true;
}

// Fetches both lists, and replaces the held ones only when both verify,
// are for one origin, and are no older than those held (a replayed old
// revocation list would un-revoke codes: ankang-verify sync refuses it too).
async function refreshLists() {
  if (!state.root) return;
  const [tn, rn] = await Promise.all([apiText('GET', '/v1/trust'), apiText('GET', '/v1/revocations')]);
  try {
    const trust = await openTrust(tn, state.root);
    const revs = await openRevocations(rn, state.root);
    if (trust.origin !== revs.origin) throw new Error('origins differ');
    const held = state.lists;
    if (held && (trust.issued < held.trust.issued || revs.issued < held.revs.issued)) throw new Error('rollback');
    await store.putLists(tn, rn);
    state.lists = { trust, revs };
    state.listsBad = false;
  } catch {
    state.listsBad = true;
  }
}

// ------------------------------------------------------------ the scans

async function countPending() {
  try {
    const n = state.account ? await store.countScans(state.account) : { pending: 0, refused: 0 };
    state.pending = n.pending;
    state.refused = n.refused;
  } catch {
    state.pending = 0; // no IndexedDB here: nothing can have been queued
    state.refused = 0;
  }
}

// Sends one page of scans; true once the service has counted them all,
// and then they leave IndexedDB.
async function uploadPage(page) {
  const body = {
    scans: page.map((s) => {
      const o = { id: s.id, cti: s.cti, time: s.time, result: s.result };
      if (s.sig) o.sig = s.sig;
      return o;
    }),
  };
  const ans = await apiJson('POST', '/v1/scans', { token: token.get(), body });
  if (ans.accepted + ans.duplicates !== page.length) return false;
  await store.deleteScans(page.map((s) => s.id));
  return true;
}

// Uploads this account's offline scans, a page at a time. A page the
// service refuses as bad (400) is sent again one scan at a time, so that
// only the scans it refuses stay behind, marked and never resent (a
// device whose clock ran far ahead made them), and the rest go through.
async function uploadScans() {
  if (state.uploading || !state.account || !token.get()) return;
  state.uploading = true;
  try {
    const scans = await store.scansOf(state.account);
    for (let i = 0; i < scans.length; i += UPLOAD_PAGE) {
      const page = scans.slice(i, i + UPLOAD_PAGE);
      try {
        if (!(await uploadPage(page))) break;
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 400)) throw e;
        for (const one of page) {
          try {
            await uploadPage([one]);
          } catch (e1) {
            if (!(e1 instanceof ApiError && e1.status === 400)) throw e1;
            await store.markRefused(one.id, e1.code);
          }
        }
      }
    }
  } finally {
    state.uploading = false;
    await countPending();
  }
}

// ------------------------------------------------------- being online

// Lists, keys and uploads, whenever the service can be reached.
async function sync() {
  if (!token.get() || state.stopped) return;
  try {
    if (!(await checkKeys())) return;
    await refreshLists();
    await uploadScans();
    state.online = true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signedOut('common.error.bad_token');
    if (e instanceof ApiError && e.status === 403) return signedOut('check.error.token_role');
    if (e instanceof OfflineError || (e instanceof ApiError && e.status >= 502)) state.online = false;
  }
  await countPending();
  showConn();
}

function showConn() {
  const conn = $('#conn');
  const parts = [];
  const time = state.lists ? clock(state.lists.revs.issued) : null;
  conn.classList.toggle('conn-offline', !state.online);
  if (state.online) {
    parts.push(t('check.conn.online'));
    if (time) parts.push(t('check.conn.lists', { time }));
  } else if (!state.lists) {
    parts.push(t('check.conn.offline_none'));
  } else if (listAge() > STALE_S) {
    parts.push(t('check.conn.offline_stale', { time }));
  } else {
    parts.push(t('check.conn.offline', { time }));
  }
  if (state.listsBad) parts.push(t('check.conn.lists_bad'));
  if (state.pending > 0) parts.push(t('check.conn.pending', { count: state.pending }));
  if (state.refused > 0) parts.push(t('check.conn.refused', { count: state.refused }));
  conn.textContent = joinSentences(parts);
  const dp = $('#device-pending');
  const said = [];
  if (state.pending > 0) said.push(t('check.conn.pending', { count: state.pending }));
  if (state.refused > 0) said.push(t('check.conn.refused', { count: state.refused }));
  dp.hidden = said.length === 0;
  dp.textContent = joinSentences(said);
}

// ------------------------------------------------------- checking codes

// A result to show: {kind: 'result'|'cannot', result, name, status,
// mode: 'online'|'offline', why, at}
function showResult(r) {
  state.shown = r;
  const box = $('#result');
  const facts = $('#result-facts');
  facts.replaceChildren();
  box.className = 'result';
  let title;
  let otherTitle;
  let explain = '';
  let icon;
  const fact = (label, value, cls) => facts.append(el('dt', { text: label }), el('dd', { class: cls, text: value }));
  if (r.kind === 'cannot') {
    box.classList.add('result-cannot');
    icon = '?';
    title = t('check.result.cannot');
    otherTitle = inOther('check.result.cannot');
    explain = t(r.why, r.vars);
  } else if (r.result === 'valid') {
    // The only state with a status colour: the panel takes the code's.
    box.classList.add('result-valid', `status-${r.status}`);
    icon = { green: '✓', yellow: '!', red: '✕' }[r.status];
    title = t('check.result.valid');
    otherTitle = inOther('check.result.valid');
    fact(t('check.result.name'), r.name, 'result-name');
    fact(t('check.result.status'), both(`status.${r.status}`), 'result-status');
  } else {
    // A refusal: no status colour, no status word standing alone; the
    // result is the first and largest thing.
    box.classList.add('result-refused');
    icon = '✕';
    title = t('check.result.refused', { why: t(`result.${r.result}`) });
    otherTitle = inOther('check.result.refused', { why: inOther(`result.${r.result}`) });
    explain = t(`check.explain.${r.result}`);
    if (r.name !== undefined && showsData(r.result)) fact(t('check.result.name_on_code'), r.name, 'result-name-refused');
    if (r.result === 'revoked' && r.status)
      explain = joinSentences([explain, t('check.result.was_status', { status: t(`status.${r.status}`) })]);
    if (r.result === 'superseded' && r.status)
      explain = joinSentences([explain, t('check.result.now_status', { status: t(`status.${r.status}`) })]);
  }
  box.classList.add(`icon-${r.kind === 'cannot' ? 'cannot' : r.result === 'valid' ? r.status : 'refused'}`);
  $('#result-icon').textContent = icon;
  $('#result-title').textContent = title;
  const other = $('#result-other');
  other.textContent = otherTitle === title ? '' : otherTitle;
  other.setAttribute('lang', otherLang());
  $('#result-explain').textContent = explain;
  const how = r.kind === 'cannot' ? '' : t(r.mode === 'online' ? 'check.how.online' : 'check.how.offline', { time: clock(r.at) });
  $('#result-how').textContent = how;
  box.hidden = false;
  // The answer first: the page's top (title, connection, result).
  window.scrollTo(0, 0);
  $('#announce').textContent = [title, r.name, r.result === 'valid' ? t(`status.${r.status}`) : explain].filter(Boolean).join('. ');
}

// The service's answer, held to docs/API.md as ankang-verify holds it
// (vwire_parse_verdict): anything else is not shown as a result.
function verdictValid(v) {
  if (!v || typeof v !== 'object' || !RESULTS.includes(v.result)) return false;
  const keys = Object.keys(v);
  if (keys.some((k) => !['result', 'name', 'status'].includes(k))) return false;
  if (v.name === undefined && v.status === undefined) return true;
  if (typeof v.name !== 'string' || !showsData(v.result)) return false;
  if (v.status === undefined) return v.result === 'superseded';
  return STATUSES.includes(v.status);
}

// A network that swallows requests must not hold a checkpoint up: an
// answer slower than this is treated as no answer, and the code is checked
// here instead.
const VERIFY_TIMEOUT_MS = 6000;

function within(ms, promise) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new OfflineError('timed out')), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function checkOnline(text) {
  const v = await within(VERIFY_TIMEOUT_MS,
    apiJson('POST', '/v1/verify', { token: token.get(), body: { credential: text } }));
  if (!verdictValid(v)) return { kind: 'cannot', why: 'check.cannot.answer' };
  state.online = true;
  return { kind: 'result', mode: 'online', result: v.result, name: v.name, status: v.status };
}

async function checkOffline(text) {
  if (!state.ed25519) return { kind: 'cannot', why: 'check.cannot.no_ed25519' };
  if (!state.lists) return { kind: 'cannot', why: 'check.cannot.none' };
  if (listAge() > STALE_S) return { kind: 'cannot', why: 'check.cannot.stale', vars: { time: clock(state.lists.revs.issued) } };
  const now = Date.now() / 1000;
  const trust = { issuers: state.lists.trust.issuers, revoked: state.lists.revs.revoked };
  const r = await verifyCredential(text, trust, now, DEFAULT_SKEW);
  // Recorded before it is shown: a scan shown is a scan that will reach
  // the holder's accesses.
  await store.addScan({
    id: randomId(), account: state.account, cti: r.cti || null, time: Math.floor(now), result: r.result, sig: r.sig || null,
  });
  await countPending();
  return { kind: 'result', mode: 'offline', result: r.result, name: r.name, status: r.status };
}

async function check(raw, source) {
  if (state.stopped || !token.get()) return;
  const text = raw.trim();
  const now = Date.now();
  // A code seen again within a few seconds of last being seen (a camera
  // sees it in every frame; a scanner may send it twice) is checked once:
  // a code held in view is not checked over and over, even while others
  // are checked in between.
  for (const [k, at] of state.seen) if (now - at >= DEBOUNCE_MS) state.seen.delete(k);
  const again = state.seen.has(text);
  state.seen.set(text, now);
  if (again) return;
  let r;
  // Not even a credential's characters: nothing to ask the service
  // (ankang-verify's vwire_verify_body).
  const plausible = text.length > 0 && text.length <= TEXT_MAX && /^[\x20-\x7e]+$/.test(text);
  try {
    if (!plausible && navigator.onLine && state.online) r = { kind: 'result', mode: 'online', result: 'malformed' };
    else if (navigator.onLine) r = await checkOnline(text);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signedOut('common.error.bad_token');
    if (e instanceof ApiError && e.status === 403) return signedOut('check.error.token_role');
    if (e instanceof OfflineError || (e instanceof ApiError && e.status >= 502)) state.online = false;
    else r = { kind: 'cannot', why: 'check.cannot.error', vars: { code: e.code || 'error' } };
  }
  if (!navigator.onLine) state.online = false;
  if (!r) {
    try {
      r = await checkOffline(text);
    } catch {
      r = { kind: 'cannot', why: 'check.cannot.store' };
    }
  }
  r.at = Date.now() / 1000;
  showResult(r);
  showConn();
  // A USB scanner types the next code into the field: it keeps the focus,
  // without scrolling the answer away.
  if (source === 'field') $('#code').focus({ preventScroll: true });
  if (r.mode === 'online' && state.pending > 0) sync();
}

// ------------------------------------------------------------- sign-in

const TOKEN_FORMAT = /^aka_[A-Za-z0-9_-]{43}$/;

function fieldError(fieldId, inputId, errId, text) {
  const field = $(`#${fieldId}`);
  const input = $(`#${inputId}`);
  const err = $(`#${errId}`);
  field.classList.toggle('invalid', !!text);
  err.hidden = !text;
  err.textContent = text || '';
  const hint = input.getAttribute('aria-describedby').split(' ')[0];
  input.setAttribute('aria-describedby', text ? `${hint} ${errId}` : hint);
  if (text) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

function signinProblem(key, vars) {
  const text = t(key, vars);
  fieldError('token-field', 'token', 'token-error', text);
  showErrors($('#signin-errors'), [{ field: 'token', text }]);
}

async function signIn(ev) {
  ev.preventDefault();
  const tok = $('#token').value.trim();
  $('#signin-notice').hidden = true;
  fieldError('token-field', 'token', 'token-error', '');
  showErrors($('#signin-errors'), []);
  if (!tok) return signinProblem('check.error.token_missing');
  if (/^aks_/.test(tok)) return signinProblem('check.error.token_resident');
  if (!TOKEN_FORMAT.test(tok)) return signinProblem('check.error.token_format');
  const button = $('#signin-button');
  button.disabled = true;
  try {
    if (!(await checkKeys())) return;
    // The token, checked without checking a code: an empty upload is
    // answered 200 by a verifier's token, 401 or 403 otherwise.
    await apiJson('POST', '/v1/scans', { token: tok, body: { scans: [] } });
    token.set(tok);
    $('#token').value = '';
    state.account = await accountTag(tok);
    await loadLists();
    await enterCheck();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) signinProblem('check.error.token_unknown');
    else if (e instanceof ApiError && e.status === 403) signinProblem('check.error.token_role');
    else if (e instanceof ApiError && e.status === 429) signinProblem('common.error.rate_limited', { seconds: e.retryAfter || 60 });
    else if (e instanceof OfflineError) signinProblem('check.error.signin_offline');
    else if (e instanceof ApiError) signinProblem('common.error.unknown', { code: e.code });
    else signinProblem('check.error.keys');
  } finally {
    button.disabled = false;
  }
}

function showSignin(noticeKey) {
  const notice = $('#signin-notice');
  notice.hidden = !noticeKey;
  notice.textContent = noticeKey ? t(noticeKey) : '';
  notice.dataset.key = noticeKey || '';
  showView('signin');
  window.scrollTo(0, 0);
}

// The service refused the token (401), or it is not a verifier's (403):
// the device signs in again. Offline scans stay, tagged with the account.
function signedOut(key) {
  token.clear();
  state.account = null;
  stopCamera();
  $('#result').hidden = true;
  showSignin(key);
}

async function signOut(force) {
  if (!force && state.pending > 0) {
    if (state.online) await uploadScans().catch(() => {});
    if (state.pending > 0) {
      $('#signout-confirm-text').textContent = t('check.signout.confirm', { count: state.pending });
      $('#signout-confirm').hidden = false;
      $('#signout-confirm').focus();
      return;
    }
  }
  $('#signout-confirm').hidden = true;
  signedOut('check.signed_out');
}

function stopForKey() {
  state.stopped = true;
  stopCamera();
  showView('keychanged');
}

// ------------------------------------------------------------- the view

async function enterCheck() {
  await countPending();
  showConn();
  showView('check');
  startIfAllowed((text) => check(text, 'camera'));
  sync();
}

function wire() {
  $('#signin-form').addEventListener('submit', signIn);
  $('#code-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $('#code');
    if (!input.value.trim()) {
      fieldError('code-field', 'code', 'code-error', t('check.error.code_missing'));
      input.focus();
      return;
    }
    fieldError('code-field', 'code', 'code-error', '');
    const text = input.value;
    input.value = '';
    check(text, 'field');
  });
  $('#result-next').addEventListener('click', () => {
    $('#result').hidden = true;
    state.shown = null;
    state.seen.clear();
    $('#code').focus();
  });
  $('#camera-start').addEventListener('click', () => startCamera((text) => check(text, 'camera')));
  $('#camera-stop').addEventListener('click', () => stopCamera());
  $('#signout').addEventListener('click', () => signOut(false));
  $('#signout-anyway').addEventListener('click', () => signOut(true));
  $('#signout-stay').addEventListener('click', () => {
    $('#signout-confirm').hidden = true;
    $('#signout').focus();
  });
  window.addEventListener('online', () => {
    state.online = true;
    sync();
  });
  window.addEventListener('offline', () => {
    state.online = false;
    showConn();
  });
  setInterval(() => {
    if (navigator.onLine && !$('[data-view="check"]').hidden) sync();
    else if (!$('[data-view="check"]').hidden) showConn();
  }, REFRESH_MS);
  onLangChange(() => {
    document.title = t('check.title');
    if (!$('[data-view="check"]').hidden) showConn();
    if (state.shown) showResult(state.shown);
    const n = $('#signin-notice');
    if (n.dataset.key) n.textContent = t(n.dataset.key);
  });
}

async function main() {
  applyTo();
  document.title = t('check.title');
  langSwitch($('#lang'));
  wire();
  // The scanner opens with no network too (src/sw.js), and then checks
  // against the lists it saved.
  keepForOffline();
  state.ed25519 = await supportsEd25519();
  await loadRoot();
  const tok = token.get();
  if (!tok) return showSignin(null);
  state.account = await accountTag(tok);
  await loadLists();
  await enterCheck();
}

main();
