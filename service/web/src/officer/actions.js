// The desk's own recent actions: the signed-in officer's entries in the
// audit log, newest first (GET /v1/officer/actions), reloaded after every
// action on the page, each with its log entry number (which an auditor can
// prove), what was done, about whom (the resident's handle where the
// service can name it), the purpose or reason given and the outcome, in
// words. "Show older" reads on from where the service stopped.
import { apiJson } from '../lib/api.js';
import { actionWord, detailWord, resultWord } from '../lib/audit-words.js';
import { $, el, formatTime } from '../lib/dom.js';
import { currentLang, t } from '../lib/i18n.js';

const PAGE = 20;
const state = { rows: [], next: null, error: null, loaded: false };
let seq = 0;

export async function loadActions(desk, more = false) {
  const mine = ++seq;
  const before = more && state.next !== null ? `&before=${state.next}` : '';
  $('#actions-status').textContent = t('common.loading');
  try {
    const r = await apiJson('GET', `/v1/officer/actions?limit=${PAGE}${before}`, { token: desk.token() });
    if (mine !== seq) return;
    state.rows = more ? [...state.rows, ...r.actions] : r.actions;
    state.next = r.next;
    state.error = null;
    state.loaded = true;
  } catch (e) {
    if (mine !== seq || desk.ended(e)) return;
    state.error = e;
  }
  render(desk);
}

function render(desk) {
  const status = $('#actions-status');
  const table = $('#actions-table');
  $('#actions-older').hidden = state.next === null;
  if (state.error) {
    status.textContent = desk.errorWords(state.error);
    return;
  }
  if (!state.loaded) return;
  status.textContent = state.rows.length === 0 ? t('officer.actions.none')
    : t('officer.actions.count', { count: state.rows.length });
  const cols = ['when', 'what', 'about', 'why', 'result', 'entry'];
  const label = (i) => t(`officer.actions.col.${cols[i]}`);
  const head = el('tr', {}, ...cols.map((c, i) => el('th', { scope: 'col', class: c === 'entry' ? 'num' : null, text: label(i) })));
  // Each cell carries its column's name too: on a phone the rows are
  // cards, each value under its name (officer.css).
  const cell = (i, attrs, ...kids) => el('td', { 'data-label': label(i), ...attrs }, ...kids);
  const body = state.rows.map((a) => el('tr', {},
    cell(0, { class: 'when', text: formatTime(a.time_ms ?? a.time * 1000, currentLang()) }),
    cell(1, { text: actionWord(a.action) }),
    cell(2, {}, a.subject_handle ? el('code', { text: a.subject_handle }) : el('span', { class: 'muted', text: t('officer.actions.unnamed') })),
    cell(3, { text: detailWord(a.detail) || t('officer.actions.no_detail') }),
    cell(4, { text: resultWord(a.result) }),
    cell(5, { class: 'num', text: String(a.index) })));
  table.replaceChildren(el('caption', { class: 'visually-hidden', text: t('officer.actions.caption') }),
    el('thead', {}, head), el('tbody', {}, ...body));
}

// Sign-out: the list goes with the token.
export function resetActions() {
  seq++; // an answer still on its way is dropped
  Object.assign(state, { rows: [], next: null, error: null, loaded: false });
  $('#actions-table').replaceChildren();
}

export function setupActions(desk) {
  desk.onRender(() => render(desk));
  $('#actions-refresh').addEventListener('click', () => loadActions(desk));
  $('#actions-older').addEventListener('click', () => loadActions(desk, true));
  $('#actions-older').hidden = true;
}
