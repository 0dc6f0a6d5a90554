// Appeal my status (POST and GET /v1/me/appeals): choose a reason, say
// what happened in at most 500 characters (counted as the service counts
// them: characters, not bytes or UTF-16 units), send; then each appeal
// with its state, the answer, its reason and the label of the officer who
// answered. While one is open the form gives way to a notice: the
// service takes one open appeal at a time.
import './appeals.css';
import { ApiError, OfflineError, apiJson } from '../lib/api.js';
import { $, el } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { when } from './accesses.js';
import { clearProblems, showProblems } from './form.js';
import { token } from './session.js';

export const REASONS = ['wrong_person', 'negative_test', 'not_in_risk_area', 'quarantine_completed', 'other'];
const MAX = 500;

let rows = null;
let failure = null;
let loading = false;
let sent = null; // the due time of the appeal just sent, for the notice
let sayTimer = null;

const chars = (s) => [...s].length;

function counterText() {
  const left = MAX - chars($('#appeal-text').value);
  const n = Math.abs(left);
  // The English words for one differ: 'counter' and 'counter_one'.
  const key = left >= 0 ? 'resident.appeal.counter' : 'resident.appeal.counter_over';
  return t(n === 1 ? `${key}_one` : key, { n });
}

// The counter under the box, and, once typing pauses, the same words for
// a screen reader (GOV.UK's character count: not at every key).
function count() {
  const c = $('#appeal-text-count');
  c.textContent = counterText();
  c.classList.toggle('count-over', chars($('#appeal-text').value) > MAX);
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => { $('#appeal-text-say').textContent = counterText(); }, 1000);
}

function stateWords(a) {
  if (a.state === 'open') return t('resident.appeal.state.open');
  return t(`resident.appeal.state.${a.decision}`);
}

function item(a) {
  const open = a.state === 'open';
  const late = open && a.overdue;
  return el('li', { class: open ? 'appeal-open' : `appeal-${a.decision}` },
    el('p', { class: 'appeal-state', text: stateWords(a) }),
    el('p', { text: t('resident.appeal.your_reason', { reason: t(`resident.appeal.reason.${a.reason}`) }) }),
    el('p', { text: t('resident.appeal.opened', { time: when(a.opened * 1000) }) }),
    open ? el('p', { class: late ? 'appeal-late' : undefined,
      text: t(late ? 'resident.appeal.overdue' : 'resident.appeal.due', { time: when(a.due * 1000) }) }) : '',
    open ? '' : el('p', { text: t('resident.appeal.answered', { time: when(a.answered * 1000), officer: a.officer || '-' }) }),
    open ? '' : el('p', { text: t(`resident.appeal.answer_reason.${a.answer_reason}`) }),
    a.text ? el('p', { class: 'appeal-text', text: t('resident.appeal.your_text', { text: a.text }) }) : '');
}

export function render() {
  const open = (rows || []).find((a) => a.state === 'open');
  $('#appeal-form').hidden = !rows || !!open;
  $('#appeal-list').replaceChildren(...(rows || []).map(item));
  $('#appeal-none').hidden = !rows || rows.length > 0;
  const st = $('#appeal-status');
  const text = loading ? t('common.loading')
    : failure === 'offline' ? t('resident.error.offline')
      : failure ? t('common.error.unknown', { code: failure })
        : sent ? t('resident.appeal.sent', { time: when(sent * 1000) })
          : open ? t('resident.appeal.open_already') : '';
  st.hidden = !text;
  st.textContent = text;
  count();
}

async function load(ended) {
  loading = true;
  render();
  try {
    rows = (await apiJson('GET', '/v1/me/appeals', { token: token.get() })).appeals;
    failure = null;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      loading = false;
      return ended();
    }
    failure = e instanceof OfflineError ? 'offline' : e.code || 'page';
  }
  loading = false;
  render();
}

export function open(ended) {
  rows = null;
  failure = null;
  sent = null;
  $('#appeal-form').reset();
  clearProblems($('#appeal-errors'), $('#appeal-form'));
  return load(ended);
}

async function send(ev, ended) {
  ev.preventDefault();
  const form = $('#appeal-form');
  const errors = $('#appeal-errors');
  const reason = form.querySelector('input[name="reason"]:checked')?.value;
  const text = $('#appeal-text').value;
  const problems = [];
  if (!reason) problems.push({ field: 'appeal-reason', say: () => t('resident.appeal.no_reason') });
  if (chars(text) > MAX) problems.push({ field: 'appeal-text', say: () => t('resident.appeal.too_long') });
  if (problems.length) return showProblems(errors, form, problems);
  $('#appeal-submit').disabled = true;
  try {
    const r = await apiJson('POST', '/v1/me/appeals', { token: token.get(), body: { reason, text } });
    clearProblems(errors, form);
    form.reset();
    await load(ended);
    sent = r.due;
    render();
    $('#appeal-status').focus?.();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return ended();
    if (e instanceof ApiError && e.code === 'appeal_open') {
      clearProblems(errors, form);
      await load(ended);
    } else {
      const say = e instanceof OfflineError ? () => t('resident.error.offline')
        : e instanceof ApiError && e.code === 'bad_field' ? () => t('resident.appeal.bad_text')
          : () => t('resident.appeal.failed');
      showProblems(errors, form, [{ field: e.code === 'bad_field' ? 'appeal-text' : undefined, say }]);
    }
  } finally {
    $('#appeal-submit').disabled = false;
  }
}

export function wireAppeals(ended) {
  $('#appeal-form').addEventListener('submit', (ev) => send(ev, ended));
  $('#appeal-text').addEventListener('input', count);
}
