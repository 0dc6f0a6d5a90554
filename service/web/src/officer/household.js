// The desk's household consent: the adult members a guardian has added
// who have not consented yet, oldest first (GET /v1/household/pending:
// both names masked, the relation, when it was asked), each confirmed
// only after a confirmation step that says what the officer vouches for
// (POST /v1/household/{link}/confirm with purpose household_consent). A
// server without households (404) is said so.
import { ApiError, apiJson } from '../lib/api.js';
import { $, el, formatTime } from '../lib/dom.js';
import { currentLang, t } from '../lib/i18n.js';
import { facts } from './form.js';
import { duration, relationWord } from './words.js';

const state = { links: null, error: null, asking: null, done: null };

export async function loadHousehold(desk) {
  $('#household-status').textContent = t('common.loading');
  try {
    const r = await apiJson('GET', '/v1/household/pending', { token: desk.token() });
    state.links = r.links || [];
    state.error = null;
  } catch (e) {
    if (desk.ended(e)) return;
    state.links = null;
    state.error = e;
  }
  render(desk);
}

function render(desk) {
  const status = $('#household-status');
  const list = $('#household-list');
  list.replaceChildren();
  $('#household-refresh').hidden = !!(state.error && desk.missing(state.error));
  if (state.done) {
    $('#household-out').replaceChildren(el('p', { class: 'notice done', role: 'status',
      text: t('officer.household.done', { member: state.done.member, guardian: state.done.guardian }) }));
  }
  if (state.error) {
    status.textContent = desk.missing(state.error) ? t('officer.not_available') : desk.errorWords(state.error);
    return;
  }
  if (!state.links) return;
  status.textContent = state.links.length === 0 ? t('officer.household.none') : t('officer.household.count', { count: state.links.length });
  for (const l of state.links) {
    const item = el('li', { class: 'card' },
      facts([
        [t('officer.household.member'), el('span', { text: l.member })],
        [t('officer.household.guardian'), el('span', { text: l.guardian })],
        [t('officer.household.relation'), el('span', { text: relationWord(l.relation) })],
        [t('officer.household.requested'), el('span', {
          text: t('officer.appeal.opened_ago', { date: formatTime(l.requested * 1000, currentLang()), time: duration(Date.now() / 1000 - l.requested) }) })],
      ]));
    if (state.asking === l.link) {
      const h = el('h3', { tabindex: '-1', text: t('officer.household.confirm_heading') });
      const yes = el('button', { type: 'button', class: 'warning', text: t('officer.household.confirm') });
      const no = el('button', { type: 'button', class: 'secondary', text: t('officer.cancel') });
      yes.addEventListener('click', () => confirm(desk, l, yes));
      no.addEventListener('click', () => {
        state.asking = null;
        render(desk);
      });
      item.append(el('div', { class: 'confirm', role: 'group' }, h,
        el('p', { text: t('officer.household.confirm_text', { member: l.member, guardian: l.guardian, relation: relationWord(l.relation) }) }),
        el('p', { class: 'purpose-line', text: t('officer.household.purpose') }),
        el('div', { class: 'actions' }, yes, no)));
      setTimeout(() => h.focus());
    } else {
      const ask = el('button', { type: 'button', class: 'secondary', text: t('officer.household.ask', { member: l.member }) });
      ask.addEventListener('click', () => {
        state.asking = l.link;
        state.done = null;
        $('#household-out').replaceChildren();
        render(desk);
      });
      item.append(ask);
    }
    list.append(item);
  }
}

async function confirm(desk, l, button) {
  button.disabled = true;
  try {
    await apiJson('POST', `/v1/household/${encodeURIComponent(l.link)}/confirm`, { token: desk.token(), body: { purpose: 'household_consent' } });
    state.done = { member: l.member, guardian: l.guardian };
    state.asking = null;
    await loadHousehold(desk);
    $('#household-h').focus();
  } catch (e) {
    if (desk.ended(e)) return;
    const gone = e instanceof ApiError && (e.code === 'not_found' || e.status === 409);
    $('#household-out').replaceChildren(el('p', { class: 'notice warn', text: gone ? t('officer.household.gone') : desk.errorWords(e) }));
    state.asking = null;
    render(desk);
  } finally {
    desk.acted();
  }
}

// Sign-out: no name stays in the page.
export function resetHousehold() {
  Object.assign(state, { links: null, error: null, asking: null, done: null });
  $('#household-list').replaceChildren();
  $('#household-out').replaceChildren();
}

export function setupHousehold(desk) {
  desk.onRender(() => render(desk));
  $('#household-refresh').addEventListener('click', () => loadHousehold(desk));
}
