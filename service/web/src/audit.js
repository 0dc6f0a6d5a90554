// The auditor's dashboard (pages/audit.html): sign in with an auditor's
// account token; check the log's signed checkpoint in the browser (keys
// pinned, trust list, consistency with the last checkpoint seen here, a
// loud warning on a rewrite or rollback); plots and the anomaly report
// for a period; the entries, filtered and paged through the service.
import './audit.css';
import { ApiError, OfflineError, apiJson, apiText, tokenStore } from './lib/api.js';
import { fetchPage, fillFilterForm, pageWords, readFilter, renderTable } from './lib/audit-entries.js';
import { acknowledge, alarms, checkLog, ed25519Supported } from './lib/audit-integrity.js';
import { renderPlots } from './lib/audit-plots.js';
import { renderReport } from './lib/audit-report.js';
import { $, el, formatTime, showErrors, showView } from './lib/dom.js';
import { applyTo, currentLang, langSwitch, onLangChange, t } from './lib/i18n.js';

const tokens = tokenStore('auditor');
const state = { check: null, checkError: null, report: null, reportError: null, page: null, filter: {}, befores: [undefined] };
const when = (ms) => formatTime(ms, currentLang());

function setTitle() {
  const view = $('[data-view]:not([hidden])')?.dataset.view;
  const base = view === 'signin' ? t('audit.signin.title') : view === 'dashboard' ? t('audit.dash.title') : t('audit.title');
  const loud = view === 'dashboard' && alarms().some((a) => !a.ackAt);
  document.title = loud ? `${t('audit.alarm.title_prefix')} ${base}` : base;
}

// Words for an error from the service or the network.
function errorWords(e) {
  if (e instanceof OfflineError) return t('common.error.network');
  if (e instanceof ApiError && e.status === 429) return t('common.error.rate_limited', { seconds: e.retryAfter || 1 });
  if (e instanceof ApiError) return t('common.error.unknown', { code: e.code });
  return t('common.error.unknown', { code: e.message });
}

// A 401 anywhere: the token is no longer good. Back to sign-in, saying so.
function endedSession(e) {
  if (!(e instanceof ApiError && e.status === 401)) return false;
  tokens.clear();
  showSignin(t('audit.signin.ended'));
  return true;
}

// --- sign-in ------------------------------------------------------------
function showSignin(notice) {
  const n = $('#signin-notice');
  n.textContent = notice || '';
  n.hidden = !notice;
  showErrors($('#signin-errors'), []);
  fieldError('token', null);
  $('#token').value = '';
  showView('signin');
  setTitle();
}

function fieldError(id, text) {
  $(`#${id}-field`).classList.toggle('invalid', !!text);
  const err = $(`#${id}-error`);
  err.textContent = text ? `${t('audit.error_prefix')} ${text}` : '';
  err.hidden = !text;
  $(`#${id}`).setAttribute('aria-describedby', text ? `${id}-hint ${id}-error` : `${id}-hint`);
  if (text) $(`#${id}`).setAttribute('aria-invalid', 'true');
  else $(`#${id}`).removeAttribute('aria-invalid');
}

async function signIn(ev) {
  ev.preventDefault();
  const token = $('#token').value.trim();
  let problem = null;
  if (!token) problem = t('audit.signin.error.empty');
  else if (!/^aka_[A-Za-z0-9_-]+$/.test(token)) problem = t('audit.signin.error.format');
  if (!problem) {
    try {
      await apiText('GET', '/v1/audit/checkpoint', { token });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) problem = t('audit.signin.error.bad_token');
      else if (e instanceof ApiError && e.status === 403) problem = t('audit.signin.error.wrong_role');
      else if (!(e instanceof ApiError && e.code === 'not_found')) problem = errorWords(e);
    }
  }
  fieldError('token', problem);
  showErrors($('#signin-errors'), problem ? [{ field: 'token', text: problem }] : []);
  if (problem) return;
  tokens.set(token);
  openDashboard();
}

function signOut() {
  tokens.clear();
  state.check = state.report = state.page = null;
  showSignin(t('audit.signed_out'));
}

// --- the log's integrity -----------------------------------------------
function dl(pairs) {
  return el('dl', { class: 'facts' }, ...pairs.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
}
const code = (text) => el('code', { text });

function renderAlarms() {
  const box = $('#alarms');
  box.replaceChildren();
  for (const a of alarms().filter((x) => !x.ackAt)) {
    const div = el('div', { class: 'alarm', role: 'alert' });
    if (a.kind === 'key' || a.kind === 'trust') {
      div.append(el('h2', { text: t('audit.alarm.key.heading') }),
        el('p', { text: a.kind === 'key'
          ? t(a.which === 'log' ? 'audit.alarm.key.log' : 'audit.alarm.key.root', { date: when(a.pinnedAt) })
          : t('audit.alarm.trust') }),
        dl([[t('audit.alarm.key.pinned'), code(a.pinned)], [t(a.kind === 'key' ? 'audit.alarm.key.served' : 'audit.alarm.key.listed'), code(a.served || a.listed)]]));
    } else {
      const vars = { old: Number(a.old.size).toLocaleString(currentLang()), new: Number(a.new.size).toLocaleString(currentLang()), date: when(a.old.seenAt) };
      div.append(el('h2', { text: t(a.kind === 'rollback' ? 'audit.alarm.rollback.heading' : 'audit.alarm.inconsistent.heading') }),
        el('p', { class: 'alarm-sizes', text: t(a.kind === 'rollback' ? 'audit.alarm.rollback' : 'audit.alarm.inconsistent', vars) }),
        dl([[t('audit.alarm.old_root', { size: a.old.size }), code(a.old.root)], [t('audit.alarm.new_root', { size: a.new.size }), code(a.new.root)],
          [t('audit.alarm.detected'), el('span', { text: when(a.detectedAt) })]]));
    }
    div.append(el('p', { text: t('audit.alarm.what_to_do') }));
    const ack = el('button', { type: 'button', class: 'warning', text: t('audit.alarm.ack') });
    ack.addEventListener('click', () => {
      acknowledge(a.id);
      renderAlarms();
      renderLog();
      setTitle();
      $('#log-h').focus();
    });
    div.append(ack);
    box.append(div);
  }
  setTitle();
}

function renderLog() {
  const box = $('#log-status');
  box.replaceChildren();
  if (state.noCrypto) {
    box.append(el('p', { class: 'notice warn', text: t('common.no_webcrypto') }));
    return;
  }
  if (state.checkError) {
    box.append(el('p', { class: 'notice warn', text: t('audit.log.failed', { why: errorWords(state.checkError) }) }));
    return;
  }
  const r = state.check;
  if (!r) {
    box.append(el('p', { text: t('audit.log.checking') }));
    return;
  }
  const k = r.keys;
  if (r.signature !== 'good') {
    box.append(el('div', { class: 'notice warn', role: 'alert' },
      el('p', { class: 'verdict verdict-bad', text: t('audit.log.sig_bad', { why: r.signature }) })));
  } else {
    const cp = r.checkpoint;
    box.append(el('p', { class: 'verdict verdict-good', text: t('audit.log.sig_ok', { name: k.log.name }) }),
      dl([[t('audit.log.size'), el('span', { text: Number(cp.size).toLocaleString(currentLang()) })],
        [t('audit.log.root'), code(cp.root)],
        [t('audit.log.origin'), code(cp.origin)],
        [t('audit.log.checked_at'), el('span', { text: when(r.at) })]]));
    box.append(consistencyWords(r.consistency));
    if (r.witnesses) box.append(...witnessWords(r.witnesses));
  }
  // The keys: fingerprint to compare with a published one.
  const trustWords = {
    ok: t('audit.log.trust_ok'), mismatch: t('audit.log.trust_mismatch'),
    bad: t('audit.log.trust_bad', { why: k.trustWhy || '' }), unavailable: t('audit.log.trust_unavailable', { why: k.trustWhy || '' }),
  }[k.trust];
  box.append(el('h3', { text: t('audit.log.key_heading') }),
    el('p', { text: k.first ? t('audit.log.key_first') : t('audit.log.key_pinned', { date: when(k.pinnedAt) }) }),
    dl([[t('audit.log.key_fp'), el('code', { class: 'fingerprint', text: k.logFingerprint })],
      [t('audit.log.key_text'), el('code', { class: 'keytext', text: k.log.text })],
      [t('audit.log.root_fp'), el('code', { class: 'fingerprint', text: k.rootFingerprint })]]),
    el('p', { class: k.trust === 'ok' ? 'verdict verdict-good' : 'notice warn', text: trustWords }));
  if (k.changed.length) box.append(el('p', { class: 'notice warn', text: t('audit.log.key_changed') }));
}

// The witnesses that cosigned the checkpoint, each in words (not colour):
// checked with the time it signed, missing, or not checking.
function witnessWords(w) {
  const vars = { n: w.cosigned, total: w.list.length, quorum: w.quorum };
  const met = w.cosigned >= w.quorum;
  const items = w.list.map((x) => el('li', { class: x.state === 'good' ? 'verdict verdict-good' : x.state === 'none' ? '' : 'verdict verdict-bad',
    text: t(`audit.log.wit_${x.state}`, { name: x.name, date: x.time === null ? '' : when(x.time * 1000) }) }));
  return [el('h3', { text: t('audit.log.wit_heading') }),
    el('p', { class: met ? 'verdict verdict-good' : 'notice warn', text: t(met ? 'audit.log.wit_met' : 'audit.log.wit_short', vars) }),
    el('ul', { class: 'witnesses' }, ...items)];
}

function consistencyWords(c) {
  const date = c.seen ? when(c.seen.seenAt) : '';
  const size = (s) => Number(s).toLocaleString(currentLang());
  switch (c.kind) {
    case 'first': return el('p', { class: 'notice', text: t('audit.log.cons_first') });
    case 'same': return el('p', { class: 'verdict verdict-good', text: t('audit.log.cons_same', { date }) });
    case 'grown': return el('p', { class: 'verdict verdict-good',
      text: t('audit.log.cons_ok', { date: when(c.previous.seenAt), old: size(c.previous.size),
        added: (BigInt(c.seen.size) - BigInt(c.previous.size)).toLocaleString(currentLang()) }) });
    case 'unchecked': return el('p', { class: 'notice warn', text: t('audit.log.cons_unchecked', { why: c.why }) });
    default: {
      const a = c.alarm && alarms().find((x) => x.id === c.alarm.id);
      const key = c.kind === 'rollback' ? 'audit.log.cons_rollback' : 'audit.log.cons_bad';
      const p = el('div', { class: 'notice warn' },
        el('p', { class: 'verdict verdict-bad', text: t(key, { old: size(c.seen.size), new: size(c.now.size), date }) }));
      if (a && a.ackAt) p.append(el('p', { text: t('audit.log.cons_acked', { date: when(a.ackAt) }) }));
      return p;
    }
  }
}

async function checkIntegrity() {
  if (!(await ed25519Supported())) {
    state.noCrypto = true;
    renderLog();
    return;
  }
  $('#refresh').disabled = true;
  try {
    state.check = { ...(await checkLog(tokens.get())), at: Date.now() };
    state.checkError = null;
  } catch (e) {
    if (endedSession(e)) return;
    state.checkError = e;
  } finally {
    $('#refresh').disabled = false;
  }
  renderAlarms();
  renderLog();
}

// --- activity and report -------------------------------------------------
const PERIODS = { '24h': 24 * 3600000, '7d': 7 * 24 * 3600000, '30d': 30 * 24 * 3600000, all: null };

async function loadReport() {
  const period = $('#period').value;
  const ms = PERIODS[period];
  const path = ms ? `/v1/audit/report?since=${Date.now() - ms}` : '/v1/audit/report';
  $('#activity-status').textContent = t('common.loading');
  try {
    state.report = await apiJson('GET', path, { token: tokens.get() });
    state.reportError = null;
  } catch (e) {
    if (endedSession(e)) return;
    state.reportError = e;
  }
  renderActivity();
}

function renderActivity() {
  const status = $('#activity-status');
  if (state.reportError) {
    status.textContent = t('audit.report.failed', { why: errorWords(state.reportError) });
    $('#plots').replaceChildren();
    $('#report-out').replaceChildren();
    return;
  }
  const r = state.report;
  if (!r) return;
  status.textContent = t('audit.activity.status', { count: Number(r.entries).toLocaleString(currentLang()), period: t(`audit.period.${$('#period').value}`) });
  renderPlots($('#plots'), r);
  renderReport($('#report-out'), r);
  fillFilterForm($('#filter-form'), (r.by_actor || []).filter((a) => /:[0-9]+$/.test(a.actor))
    .map((a) => ({ actor: a.actor, label: a.actor_label })));
}

// --- entries ---------------------------------------------------------------
// Pages asked for in turn: only the newest request's answer is shown.
let pageSeq = 0;
async function showPage(k) {
  const seq = ++pageSeq;
  const status = $('#entries-status');
  status.textContent = t('common.loading');
  $('#older').disabled = $('#newer').disabled = true;
  try {
    const res = await fetchPage(tokens.get(), state.filter, state.befores[k]);
    if (seq !== pageSeq) return;
    state.page = { k, ...res };
    if (res.next !== null) state.befores[k + 1] = res.next;
  } catch (e) {
    if (seq !== pageSeq || endedSession(e)) return;
    status.textContent = errorWords(e);
    if (state.page) $('#newer').disabled = state.page.k === 0;
    return;
  }
  renderPage();
}

function renderPage() {
  const p = state.page;
  if (!p) return;
  renderTable($('#entries-table'), p.entries);
  $('#entries-status').textContent = pageWords(p.entries, p.next, p.k + 1);
  $('#page-no').textContent = t('audit.entries.page', { page: p.k + 1 });
  $('#newer').disabled = p.k === 0;
  $('#older').disabled = p.next === null;
}

function applyFilter(ev) {
  ev.preventDefault();
  const { filter, problems } = readFilter($('#filter-form'));
  for (const id of ['f-since', 'f-until']) {
    const bad = problems.find((x) => x.field === id);
    $(`#${id}-field`).classList.toggle('invalid', !!bad);
    if (bad) $(`#${id}`).setAttribute('aria-invalid', 'true');
    else $(`#${id}`).removeAttribute('aria-invalid');
  }
  showErrors($('#filter-errors'), problems);
  if (problems.length) return;
  state.filter = filter;
  state.befores = [undefined];
  showPage(0);
}

// --- the dashboard -----------------------------------------------------------
function openDashboard() {
  state.check = state.report = state.page = null;
  state.checkError = state.reportError = null;
  state.filter = {};
  state.befores = [undefined];
  fillFilterForm($('#filter-form'));
  for (const f of $('#filter-form').elements) if (f.name) f.value = '';
  renderAlarms();
  renderLog();
  showView('dashboard');
  setTitle();
  checkIntegrity();
  loadReport();
  showPage(0);
}

applyTo();
langSwitch($('#lang'));
onLangChange(() => {
  setTitle();
  if ($('[data-view="dashboard"]').hidden) return;
  renderAlarms();
  renderLog();
  renderActivity();
  if (!state.report) fillFilterForm($('#filter-form'));
  renderPage();
});
$('#signin-form').addEventListener('submit', signIn);
$('#sign-out').addEventListener('click', signOut);
$('#refresh').addEventListener('click', () => {
  checkIntegrity();
  loadReport();
});
$('#period-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  loadReport();
});
$('#filter-form').addEventListener('submit', applyFilter);
$('#filter-form').addEventListener('reset', () => {
  setTimeout(() => {
    showErrors($('#filter-errors'), []);
    for (const id of ['f-since', 'f-until']) {
      $(`#${id}-field`).classList.remove('invalid');
      $(`#${id}`).removeAttribute('aria-invalid');
    }
    state.filter = {};
    state.befores = [undefined];
    showPage(0);
  });
});
$('#older').addEventListener('click', () => showPage(state.page.k + 1));
$('#newer').addEventListener('click', () => showPage(Math.max(0, state.page.k - 1)));

if (tokens.get()) openDashboard();
else showSignin();
