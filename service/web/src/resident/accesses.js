// "Who has looked at my data": every access to my data
// (GET /v1/me/accesses), newest first, a page at a time back to my
// enrolment, each said in words, each with a button that proves it is in
// the audit log (proof.js).
import { ApiError, OfflineError, apiJson } from '../lib/api.js';
import { $, el } from '../lib/dom.js';
import { currentLang, t } from '../lib/i18n.js';
import { Failed, KeyChanged, NoCrypto, NotYet, proveEntry } from './proof.js';
import { token } from './session.js';

export const PAGE = 10;

// "6 December 2026 at 14:03:12": the month in words, never 12/06 or 06/12.
export function when(ms) {
  return new Date(ms).toLocaleString(currentLang(), {
    year: 'numeric', month: 'long', day: 'numeric',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  });
}

const CREDENTIAL_RESULTS = ['valid', 'malformed', 'unknown_key', 'bad_signature', 'not_yet_valid',
  'expired', 'revoked', 'superseded'];
const STATUSES = ['green', 'yellow', 'red'];

let items = [];
let next = null;
let done = false;
let loading = false;
let failure = null; // what the last load's failure was, for words
const proofs = new Map(); // log_index -> {state, size?, reason?}
let keysWarning = null; // 'root' | 'log' | 'witnesses' once a pin no longer holds
let onEnded = () => {};

// A log-in that failed may not have been mine: anyone can type my number.
const failedLogin = (a) => a.action === 'login' && a.result !== 'ok';

// Who did it, in words.
function who(a) {
  const name = a.actor ?? '';
  switch (a.actor_role) {
    case 'resident':
      if (a.actor_pseudonym) return t('resident.who.household');
      if (a.actor) return t('resident.who.other_resident');
      return failedLogin(a) ? t('resident.who.someone') : t('resident.who.you');
    case 'verifier':
      return t('resident.who.verifier', { name });
    case 'officer':
      return t('resident.who.officer', { name });
    case 'auditor':
      return t('resident.who.auditor', { name });
    case 'admin':
      return a.actor ? t('resident.who.admin_named', { name }) : t('resident.who.admin');
    case 'system':
      return t('resident.who.system');
    default:
      return t('resident.who.unknown');
  }
}

function what(a) {
  if (failedLogin(a)) return t('resident.action.login_failed');
  return t(`resident.action.${a.action}`) === `resident.action.${a.action}`
    ? t('resident.action.other', { action: a.action })
    : t(`resident.action.${a.action}`);
}

function result(r) {
  if (CREDENTIAL_RESULTS.includes(r)) return t(`result.${r}`);
  const s = t(`resident.result.${r}`);
  return s === `resident.result.${r}` ? r : s;
}

function detail(d) {
  if (!d || d === '-') return null;
  if (STATUSES.includes(d)) return t(`status.${d}`);
  const s = t(`resident.detail.${d}`);
  return s === `resident.detail.${d}` ? d : s;
}

function proofText(index) {
  const p = proofs.get(index);
  if (!p) return null;
  switch (p.state) {
    case 'busy':
      return [t('resident.proof.busy'), ''];
    case 'proven':
      if (p.witnesses === 1) return [t('resident.proof.proven_witness', { size: p.size.toString() }), 'proven'];
      if (p.witnesses > 1)
        return [t('resident.proof.proven_witnesses', { size: p.size.toString(), n: p.witnesses }), 'proven'];
      return [t('resident.proof.proven', { size: p.size.toString() }), 'proven'];
    case 'pending':
      return [t('resident.proof.pending'), 'pending'];
    case 'keys':
      return [t(p.which === 'witnesses' ? 'resident.proof.witnesses_changed' : 'resident.proof.keys_changed'),
        'failed'];
    case 'nocrypto':
      return [t('common.no_webcrypto'), 'failed'];
    case 'offline':
      return [t('resident.error.offline'), 'failed'];
    default:
      return [t(`resident.proof.failed_${p.reason || 'other'}`), 'failed'];
  }
}

function item(a) {
  const li = el('li', { class: 'access' });
  const heading = el('p', { class: 'access-what', tabindex: '-1' }, el('strong', { text: what(a) }));
  const dl = el('dl');
  const row = (k, v) => dl.append(el('div', {}, el('dt', { text: k }), el('dd', { text: v })));
  row(t('resident.accesses.when'), when(a.time_ms));
  row(t('resident.accesses.who'), who(a));
  row(t('resident.accesses.result'), result(a.result));
  const d = detail(a.detail);
  if (d) row(t('resident.accesses.detail'), d);
  row(t('resident.accesses.entry'), String(a.log_index));
  const button = el('button', {
    type: 'button', class: 'secondary small',
    'aria-describedby': `proof-${a.log_index}`,
    text: t('resident.proof.button'),
  });
  const out = el('p', { class: 'proof', id: `proof-${a.log_index}`, role: 'status' });
  const pt = proofText(a.log_index);
  if (pt) {
    out.textContent = pt[0];
    if (pt[1]) out.classList.add(pt[1]);
  }
  button.addEventListener('click', () => prove(a.log_index));
  li.append(heading, dl, button, out);
  return li;
}

function renderKeysWarning() {
  const w = $('#keys-warning');
  w.hidden = !keysWarning;
  w.textContent = !keysWarning ? ''
    : t(keysWarning === 'witnesses' ? 'resident.proof.witnesses_warning' : 'resident.proof.keys_warning');
}

export function render() {
  const list = $('#accesses-list');
  list.replaceChildren(...items.map(item));
  $('#accesses-older').hidden = done || items.length === 0 || loading;
  $('#accesses-end').hidden = !done || items.length === 0;
  const st = $('#accesses-status');
  let text = '';
  if (loading) text = t('common.loading');
  else if (failure === 'offline') text = t('resident.error.offline');
  else if (failure) text = t('common.error.unknown', { code: failure });
  else if (done && items.length === 0) text = t('resident.accesses.none');
  st.hidden = !text;
  st.textContent = text;
  renderKeysWarning();
}

function updateProof(index) {
  const out = document.getElementById(`proof-${index}`);
  if (!out) return;
  const [text, cls] = proofText(index) || ['', ''];
  out.className = `proof ${cls}`.trim();
  out.textContent = text;
}

async function prove(index) {
  proofs.set(index, { state: 'busy' });
  updateProof(index);
  try {
    const { size, witnesses } = await proveEntry(index);
    proofs.set(index, { state: 'proven', size, witnesses });
  } catch (e) {
    if (e instanceof NotYet) proofs.set(index, { state: 'pending' });
    else if (e instanceof KeyChanged) {
      keysWarning = e.message;
      renderKeysWarning();
      proofs.set(index, { state: 'keys', which: e.message });
    } else if (e instanceof NoCrypto) proofs.set(index, { state: 'nocrypto' });
    else if (e instanceof Failed) proofs.set(index, { state: 'failed', reason: e.reason });
    else if (e instanceof OfflineError) proofs.set(index, { state: 'offline' });
    else if (e instanceof ApiError && e.status === 401) return onEnded();
    else proofs.set(index, { state: 'failed', reason: 'service' });
  }
  updateProof(index);
}

async function load() {
  if (loading || done) return;
  loading = true;
  failure = null;
  render();
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (next !== null) q.set('before', String(next));
  const filter = $('#accesses-filter').value;
  if (filter) q.set('action', filter);
  const firstNew = items.length;
  try {
    const r = await apiJson('GET', `/v1/me/accesses?${q}`, { token: token.get() });
    items.push(...r.accesses);
    next = r.next;
    done = r.next === null || r.accesses.length === 0;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      loading = false;
      return onEnded();
    }
    failure = e instanceof OfflineError ? 'offline' : e.code || 'page';
  }
  loading = false;
  render();
  // After "show older", the first of the new entries is where reading goes on.
  if (firstNew > 0 && items.length > firstNew)
    $('#accesses-list').children[firstNew].querySelector('.access-what').focus();
}

// Starts the list again from the newest entry.
export function open(ended) {
  onEnded = ended;
  items = [];
  next = null;
  done = false;
  failure = null;
  load();
}

export function wireAccesses() {
  $('#accesses-older').addEventListener('click', () => load());
  $('#accesses-filter').addEventListener('change', () => open(onEnded));
}
