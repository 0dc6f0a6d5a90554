// The desk's appeals: open appeals oldest first (GET /v1/appeals?state=open:
// masked name, status, reason, age, due, overdue; no text), each read on
// request (GET /v1/appeals/{appeal}, an audited read that shows the
// resident's own words), then answered after a confirmation step (POST
// /v1/appeals/{appeal}/answer: a decision, a reason from its closed list,
// and for an upheld appeal the new status). The deadline is said in
// words, and an overdue appeal says so first, not by colour alone. A
// server without appeals (404) is said so, and the section waits.
import { ApiError, apiJson } from '../lib/api.js';
import { $, el, formatTime, showErrors } from '../lib/dom.js';
import { currentLang, t } from '../lib/i18n.js';
import { facts, formErrors, picked, radios, statusBadge } from './form.js';
import { ANSWERS, STATUSES, answerReasonWord, appealReasonWord, duration, statusWord } from './words.js';

const state = { list: null, error: null, open: null, pending: null, done: null };

const when = (s) => formatTime(s * 1000, currentLang());

// The deadline in words: "Overdue by 3 hours (due 7 Dec 2026, 05:00:00)"
// or "Due in 5 hours (by ...)".
function dueWords(a) {
  const now = Date.now() / 1000;
  const overdue = a.overdue === true || (a.state !== 'answered' && a.due < now);
  return {
    overdue,
    text: overdue ? t('officer.appeal.overdue', { time: duration(now - a.due), date: when(a.due) })
      : t('officer.appeal.due_in', { time: duration(a.due - now), date: when(a.due) }),
  };
}

export async function loadAppeals(desk) {
  $('#appeals-status').textContent = t('common.loading');
  try {
    const r = await apiJson('GET', '/v1/appeals?state=open', { token: desk.token() });
    state.list = r.appeals || [];
    state.error = null;
  } catch (e) {
    if (desk.ended(e)) return;
    state.list = null;
    state.error = e;
  }
  renderList(desk);
}

function renderList(desk) {
  const status = $('#appeals-status');
  const list = $('#appeals-list');
  list.replaceChildren();
  $('#appeals-refresh').hidden = !!(state.error && desk.missing(state.error));
  if (state.error) {
    status.textContent = desk.missing(state.error) ? t('officer.not_available') : desk.errorWords(state.error);
    return;
  }
  if (!state.list) return;
  const late = state.list.filter((a) => dueWords(a).overdue).length;
  status.textContent = state.list.length === 0 ? t('officer.appeals.none')
    : t('officer.appeals.count', { count: state.list.length, overdue: late });
  for (const a of state.list) {
    const due = dueWords(a);
    const read = el('button', { type: 'button', class: 'secondary', text: t('officer.appeals.read', { name: a.name }) });
    read.addEventListener('click', () => openAppeal(desk, a.appeal));
    list.append(el('li', { class: `card${due.overdue ? ' overdue' : ''}` },
      el('p', { class: `due${due.overdue ? ' due-late' : ''}`, text: due.text }),
      facts([
        [t('officer.person.name'), el('span', { text: a.name })],
        [t('officer.person.status'), statusBadge(a.status, statusWord(a.status))],
        [t('officer.appeal.their_reason'), el('span', { text: appealReasonWord(a.reason) })],
        [t('officer.appeal.opened'), el('span', { text: t('officer.appeal.opened_ago', { date: when(a.opened), time: duration(Date.now() / 1000 - a.opened) }) })],
      ]),
      read));
  }
}

async function openAppeal(desk, id) {
  const out = $('#appeal-out');
  out.replaceChildren(el('p', { text: t('common.loading') }));
  try {
    state.open = await apiJson('GET', `/v1/appeals/${encodeURIComponent(id)}`, { token: desk.token() });
    state.pending = null;
    out.replaceChildren();
    $('#answer-form').reset();
    formErrors($('#answer-errors'), ['answer-decision', 'answer-reason'], []);
    renderOpen();
    $('#appeal-h').focus();
  } catch (e) {
    if (desk.ended(e)) return;
    out.replaceChildren(el('p', { class: 'notice warn', text: desk.errorWords(e) }));
  } finally {
    desk.acted(); // reading an appeal is an audited access
  }
}

function renderOpen() {
  const box = $('#appeal-open');
  const a = state.open;
  box.hidden = !a;
  if (!a) {
    $('#appeal-text').textContent = ''; // the resident's words only while the appeal is open
    return;
  }
  const due = dueWords(a);
  $('#appeal-facts').replaceChildren(
    el('p', { class: `due${due.overdue ? ' due-late' : ''}`, text: due.text }),
    facts([
      [t('officer.person.name'), el('span', { class: 'big', text: a.name })],
      [t('officer.person.status'), statusBadge(a.status, statusWord(a.status))],
      [t('officer.appeal.their_reason'), el('span', { text: appealReasonWord(a.reason) })],
      [t('officer.appeal.opened'), el('span', { text: when(a.opened) })],
      [t('officer.person.handle'), el('code', { text: a.resident })],
    ]));
  // The resident's own words, as text (never markup).
  $('#appeal-text').textContent = a.text ? a.text : t('officer.appeal.no_text');
  const decision = picked($('#answer-form'), 'decision');
  radios($('#answer-decisions'), 'decision', Object.keys(ANSWERS), (w) => t(`officer.decision.${w}`), null, decision);
  renderReasons();
  renderConfirm();
}

function renderReasons() {
  const decision = picked($('#answer-form'), 'decision');
  const reason = picked($('#answer-form'), 'answer_reason');
  const words = decision ? ANSWERS[decision] : [];
  $('#answer-reason-field').hidden = !decision;
  radios($('#answer-reasons'), 'answer_reason', words, answerReasonWord, null, words.includes(reason) ? reason : null);
  $('#answer-status-field').hidden = decision !== 'upheld';
  const sel = $('#answer-status');
  const was = sel.value || 'green';
  sel.replaceChildren(...STATUSES.map((s) => el('option', { value: s, text: t(`status.${s}`) })));
  sel.value = was;
}

function review(ev) {
  ev.preventDefault();
  const form = $('#answer-form');
  const decision = picked(form, 'decision');
  const reason = picked(form, 'answer_reason');
  const problems = [];
  if (!decision) problems.push({ field: 'answer-decision', text: t('officer.appeal.error.decision') });
  else if (!reason) problems.push({ field: 'answer-reason', text: t('officer.appeal.error.reason') });
  formErrors($('#answer-errors'), ['answer-decision', 'answer-reason'], problems);
  if (problems.length) return;
  state.pending = { decision, reason, ...(decision === 'upheld' ? { status: $('#answer-status').value } : {}) };
  renderConfirm();
  $('#answer-confirm-h').focus();
}

function renderConfirm() {
  const p = state.pending;
  $('#answer-confirm').hidden = !p;
  $('#answer-review').disabled = !!p;
  if (!p) {
    $('#answer-confirm-text').textContent = '';
    return;
  }
  $('#answer-confirm-text').textContent = p.decision === 'upheld'
    ? t('officer.appeal.confirm_upheld', { name: state.open.name, reason: answerReasonWord(p.reason), status: statusWord(p.status) })
    : t('officer.appeal.confirm_rejected', { name: state.open.name, reason: answerReasonWord(p.reason) });
}

async function answer(desk) {
  const a = state.open;
  const body = state.pending;
  $('#answer-confirm-yes').disabled = true;
  const out = $('#appeal-out');
  try {
    const r = await apiJson('POST', `/v1/appeals/${encodeURIComponent(a.appeal)}/answer`, { token: desk.token(), body });
    state.done = { name: a.name, ...body, ...r };
    state.open = null;
    renderDone();
    $('#appeals-h').focus();
    loadAppeals(desk);
  } catch (e) {
    if (desk.ended(e)) return;
    const text = e instanceof ApiError && e.code === 'appeal_closed' ? t('officer.appeal.closed') : desk.errorWords(e);
    out.replaceChildren(el('p', { class: 'notice warn', text }));
  } finally {
    $('#answer-confirm-yes').disabled = false;
    state.pending = null;
    renderOpen();
    desk.acted();
  }
}

function renderDone() {
  const d = state.done;
  if (!d) return;
  $('#appeal-out').replaceChildren(el('p', { class: 'notice done', role: 'status',
    text: d.decision === 'upheld'
      ? t('officer.appeal.done_upheld', { name: d.name, reason: answerReasonWord(d.reason), status: statusWord(d.status) })
      : t('officer.appeal.done_rejected', { name: d.name, reason: answerReasonWord(d.reason) }) }));
}

// Sign-out: nothing of an appeal stays in the page.
export function resetAppeals() {
  Object.assign(state, { list: null, error: null, open: null, pending: null, done: null });
  $('#appeal-text').textContent = '';
  $('#appeals-list').replaceChildren();
  $('#appeal-out').replaceChildren();
  $('#appeal-open').hidden = true;
}

export function setupAppeals(desk) {
  desk.onRender(() => {
    renderList(desk);
    renderOpen();
    renderDone();
  });
  $('#answer-form').addEventListener('change', (ev) => {
    if (ev.target.name === 'decision') renderReasons();
  });
  $('#answer-form').addEventListener('submit', review);
  $('#answer-confirm-yes').addEventListener('click', () => answer(desk));
  $('#answer-confirm-no').addEventListener('click', () => {
    state.pending = null;
    renderConfirm();
    $('#answer-review').focus();
  });
  $('#answer-close').addEventListener('click', () => {
    state.open = state.pending = null;
    showErrors($('#answer-errors'), []);
    renderOpen();
    $('#appeals-h').focus();
  });
  $('#appeals-refresh').addEventListener('click', () => loadAppeals(desk));
}
