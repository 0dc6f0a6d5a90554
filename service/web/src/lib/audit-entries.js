// The dashboard's table of audit entries: a filter form (time range,
// action, result, actor), newest first, paged through the service
// (GET /v1/audit/entries?order=desc&before=...&limit=...). One request
// reads at most 20,000 leaves, so a page of a rare filter may take a few
// requests: the table asks again (up to ROUNDS times) until the page is
// full or the log is done, and says how far it searched when it is not.
import { apiJson } from './api.js';
import { ACTIONS, RESULTS, ROLES, actionWord, actorWords, detailWord, resultWord, roleWord } from './audit-words.js';
import { el, formatTime } from './dom.js';
import { currentLang, t } from './i18n.js';

export const PAGE = 25;
const ROUNDS = 8;

// The filter as the form holds it -> query arguments, or problems.
export function readFilter(form) {
  const v = (name) => form.elements[name].value.trim();
  const problems = [];
  const f = {};
  for (const [name, key] of [['since', 'since'], ['until', 'until']]) {
    const text = v(name);
    if (!text) continue;
    const ms = new Date(text).getTime();
    if (!Number.isFinite(ms) || ms < 0) problems.push({ field: `f-${name}`, text: t('audit.entries.error.date') });
    else f[key] = ms;
  }
  if (f.since !== undefined && f.until !== undefined && f.until <= f.since)
    problems.push({ field: 'f-until', text: t('audit.entries.error.range') });
  for (const name of ['action', 'result', 'actor']) if (v(name)) f[name] = v(name);
  return { filter: f, problems };
}

function query(filter, before, limit) {
  const q = new URLSearchParams({ order: 'desc', limit: String(limit) });
  for (const [k, val] of Object.entries(filter)) q.set(k, String(val));
  if (before !== undefined && before !== null) q.set('before', String(before));
  return `/v1/audit/entries?${q}`;
}

// One page of at most PAGE matching entries below `before` (undefined: from
// the newest). {entries, next, searchedTo}: next is the page after's
// `before`, null at the start of the log.
export async function fetchPage(token, filter, before) {
  const entries = [];
  let next = before;
  for (let round = 0; round < ROUNDS; round++) {
    const res = await apiJson('GET', query(filter, next, PAGE - entries.length), { token });
    entries.push(...(res.entries || []));
    next = res.next ?? null;
    if (entries.length >= PAGE || next === null) break;
  }
  return { entries, next };
}

// Fills the form's selects (once; again on a change of language, keeping
// what was chosen). Accounts known from the report are listed by name.
export function fillFilterForm(form, accounts = []) {
  const keep = (sel) => sel.value;
  const action = form.elements.action;
  const result = form.elements.result;
  const actor = form.elements.actor;
  const was = [keep(action), keep(result), keep(actor)];
  action.replaceChildren(el('option', { value: '', text: t('audit.entries.any_action') }),
    ...ACTIONS.map((w) => el('option', { value: w, text: actionWord(w) })));
  result.replaceChildren(el('option', { value: '', text: t('audit.entries.any_result') }),
    ...RESULTS.map((w) => el('option', { value: w, text: resultWord(w) })));
  const roles = el('optgroup', { label: t('audit.entries.roles') },
    ...ROLES.map((r) => el('option', { value: r, text: t('audit.entries.every', { role: roleWord(r) }) })));
  const children = [el('option', { value: '', text: t('audit.entries.any_actor') }), roles];
  if (accounts.length) {
    children.push(el('optgroup', { label: t('audit.entries.accounts') },
      ...accounts.map((a) => el('option', { value: a.actor, text: actorWords(a.actor, a.label) }))));
  }
  actor.replaceChildren(...children);
  [action.value, result.value, actor.value] = was;
  if (actor.value !== was[2] && was[2]) {
    // An account chosen before the list knew it: keep it as it was.
    actor.append(el('option', { value: was[2], text: actorWords(was[2]) }));
    actor.value = was[2];
  }
}

// A pseudonym or code id: its first 8 hex digits, the whole in a title.
function hashCell(h) {
  if (!h || h === '-') return el('td', {});
  return el('td', {}, el('code', { text: `${h.slice(0, 8)}…`, title: h }));
}

function row(e) {
  if (!e.action) {
    return el('tr', { class: 'unparsable' }, el('td', {}), el('td', { class: 'num', text: String(e.index) }),
      el('td', { colspan: '6', text: t('audit.entries.unparsable') }));
  }
  return el('tr', {},
    el('td', { class: 'when', text: formatTime(e.time_ms, currentLang()) }),
    el('td', { class: 'num', text: String(e.index) }),
    el('td', { text: actorWords(e.actor, e.actor_label) }),
    el('td', { text: actionWord(e.action) }),
    el('td', { text: resultWord(e.result) }),
    el('td', { text: detailWord(e.detail) }),
    hashCell(e.subject),
    hashCell(e.object));
}

export function renderTable(table, entries) {
  const cols = ['when', 'index', 'actor', 'action', 'result', 'detail', 'subject', 'object'];
  table.replaceChildren(
    el('caption', { class: 'visually-hidden', text: t('audit.entries.caption') }),
    el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', { scope: 'col', text: t(`audit.entries.col.${c}`) })))),
    el('tbody', {}, ...entries.map(row)));
}

// The words for what a page shows, announced through an aria-live region.
export function pageWords(entries, next, page) {
  if (entries.length === 0) {
    return next === null ? t('audit.entries.none') : t('audit.entries.none_yet', { index: next });
  }
  const first = entries[0].index;
  const last = entries[entries.length - 1].index;
  const words = entries.length === 1
    ? t('audit.entries.count_one', { page, index: first })
    : t('audit.entries.count', { page, count: entries.length, first, last });
  return next === null ? `${words} ${t('audit.entries.no_older')}` : words;
}

