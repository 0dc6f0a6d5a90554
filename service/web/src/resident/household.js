// My household (docs/API.md, "Household"): the members whose codes I may
// show, a form to add one, and the people who may show mine, with a way
// to withdraw; and, on the code view, the switch between my code and a
// member's, one tap each, with whose code it is said in words in large
// type (never by colour alone).
//
// Every list the service answers here writes a leaf for each name it
// shows (household_list), so the page asks for my members once when the
// code view first opens and again only after a change, and for my
// guardians only on the household view.
import { ApiError, OfflineError, apiJson } from '../lib/api.js';
import { $, el } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { idProblems, nameProblems, passProblems } from './auth.js';
import * as code from './code.js';
import { clearProblems, showProblems, waitWords } from './form.js';
import { normaliseId } from './idcard.js';
import { token } from './session.js';
import './household.css';

const RELATIONS = ['child', 'parent', 'spouse', 'other'];

let members = null; // [{member, name, relation, state, status}] or null: not read yet
let guardians = null;
let failure = null;
let done = null; // () => words for the last change made, in the page's language
let loadingMembers = null;
let onEnded = () => {};

const relationWord = (r) => t(`resident.household.relation.${r}`);
const stateWord = (s) => t(`resident.household.state.${s}`);
const active = () => (members || []).filter((m) => m.state === 'active');

async function call(method, path, body) {
  try {
    return await apiJson(method, path, { token: token.get(), body });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) onEnded();
    throw e;
  }
}

function failureWords(e) {
  if (e instanceof OfflineError) return t('resident.error.offline');
  return t('common.error.unknown', { code: e.code || 'page' });
}

// ------------------------------------------------------------ the switch

// Whose code the card shows, in words: "Your own code", or "The code of
// 张*三, your child".
function whoseWords() {
  const h = code.showing();
  const m = h && (members || []).find((x) => x.member === h);
  return m ? t('resident.household.showing_member', { name: m.name, relation: relationWord(m.relation) })
    : t('resident.household.showing_me');
}

export function renderSwitch() {
  const box = $('#whose-switch');
  const list = active();
  $('#code-whose').textContent = whoseWords();
  box.hidden = list.length === 0;
  if (list.length === 0) return;
  const shown = code.showing();
  const option = (value, label) => {
    const id = `whose-${value || 'me'}`;
    const input = el('input', { type: 'radio', name: 'whose', id, value });
    input.checked = (value || null) === shown;
    input.addEventListener('change', () => pick(value || null));
    return el('div', { class: 'field check' }, input, el('label', { for: id, text: label }));
  };
  $('#whose-options').replaceChildren(
    option('', t('resident.household.me')),
    ...list.map((m) => option(m.member, t('resident.household.member_option', {
      name: m.name, relation: relationWord(m.relation),
    }))));
}

function pick(handle) {
  code.showFor(handle, memberGone);
  renderSwitch();
}

// The service refused a member's code: their link is gone (or pending).
function memberGone() {
  members = null;
  loadMembers().then(() => {
    $('#code-whose').textContent = t('resident.household.member_gone');
  });
}

export function loadMembers() {
  if (loadingMembers) return loadingMembers;
  loadingMembers = (async () => {
    try {
      members = (await call('GET', '/v1/me/household')).members;
      failure = null;
    } catch (e) {
      failure = failureWords(e);
    } finally {
      loadingMembers = null;
    }
    if (code.showing() && !active().some((m) => m.member === code.showing())) code.showFor(null);
    renderSwitch();
    renderHousehold();
  })();
  return loadingMembers;
}

// The code view opened: my members, read once a session.
export function openCode(ended) {
  onEnded = ended;
  if (members === null) loadMembers();
  else renderSwitch();
}

// ---------------------------------------------------------- the view

function memberItem(m) {
  const remove = el('button', { type: 'button', class: 'secondary small', text: t('resident.household.remove') });
  remove.addEventListener('click', () => removeMember(m, remove));
  const show = el('button', { type: 'button', class: 'small', text: t('resident.household.show_code') });
  show.addEventListener('click', () => {
    pick(m.member);
    window.location.hash = 'code';
  });
  const dl = el('dl');
  const row = (k, v) => dl.append(el('div', {}, el('dt', { text: k }), el('dd', { text: v })));
  row(t('resident.household.relation_label'), relationWord(m.relation));
  row(t('resident.household.state_label'), stateWord(m.state));
  if (m.state === 'active') row(t('resident.household.status_label'), t(`status.${m.status}`));
  return el('li', { class: 'household-item' }, el('p', { class: 'household-name', text: m.name }), dl,
    el('div', { class: 'actions' }, ...(m.state === 'active' ? [show] : []), remove));
}

function guardianItem(g) {
  const withdraw = el('button', { type: 'button', class: 'secondary small', text: t('resident.household.withdraw') });
  withdraw.addEventListener('click', () => withdrawFrom(g, withdraw));
  return el('li', { class: 'household-item' },
    el('p', { class: 'household-name', text: g.name }),
    el('p', { text: t('resident.household.guardian_is', {
      relation: relationWord(g.relation), state: t(`resident.household.guardian_state.${g.state}`),
    }) }),
    el('div', { class: 'actions' }, withdraw));
}

export function renderHousehold() {
  if (!$('#household-members')) return;
  $('#household-members').replaceChildren(...(members || []).map(memberItem));
  $('#household-none').hidden = !members || members.length > 0;
  $('#guardians-list').replaceChildren(...(guardians || []).map(guardianItem));
  $('#guardians-none').hidden = !guardians || guardians.length > 0;
  const st = $('#household-status');
  const text = failure || ((members === null || guardians === null) ? t('common.loading') : '');
  st.hidden = !text;
  st.textContent = text;
  const d = $('#household-done');
  d.hidden = !done;
  d.textContent = done ? done() : '';
}

export async function open(ended) {
  onEnded = ended;
  guardians = null;
  done = null;
  renderHousehold();
  const mine = loadMembers();
  try {
    guardians = (await call('GET', '/v1/me/guardians')).guardians;
  } catch (e) {
    failure = failureWords(e);
  }
  await mine;
  renderHousehold();
}

function say(words) {
  done = words;
  renderHousehold();
}

async function removeMember(m, button) {
  button.disabled = true;
  try {
    await call('DELETE', `/v1/me/household/${m.member}`);
    if (code.showing() === m.member) code.showFor(null);
    say(() => t('resident.household.removed', { name: m.name }));
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) say(() => failureWords(e));
  }
  await loadMembers();
}

async function withdrawFrom(g, button) {
  button.disabled = true;
  try {
    await call('DELETE', `/v1/me/guardians/${g.link}`);
    say(() => t('resident.household.withdrawn', { name: g.name }));
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) say(() => failureWords(e));
  }
  guardians = (await call('GET', '/v1/me/guardians').catch(() => ({ guardians: [] }))).guardians;
  renderHousehold();
}

// ------------------------------------------------------------ the form

// A service error as a problem on one of the form's fields.
function serviceProblem(e) {
  if (e instanceof OfflineError) return { say: () => t('resident.error.offline') };
  if (!(e instanceof ApiError)) return { say: () => t('common.error.unknown', { code: 'page' }) };
  switch (e.code) {
    case 'bad_id_number':
      return { field: 'hh-id', say: () => t('resident.error.id_service') };
    case 'bad_member':
      return { field: 'hh-id', say: () => t('resident.household.error.self') };
    case 'duplicate':
      return { field: 'hh-id', say: () => t('resident.household.error.duplicate') };
    case 'member_mismatch':
      return { field: 'hh-name', say: () => t('resident.household.error.mismatch') };
    case 'member_passphrase':
      return { field: 'hh-pass', say: () => t('resident.household.error.passphrase') };
    case 'bad_relation':
      return { field: 'hh-relation', say: () => t('resident.household.error.relation') };
    case 'household_full':
      return { say: () => t('resident.household.error.full') };
    case 'rate_limited':
      return { field: 'hh-pass', say: () => t('resident.household.error.locked', { wait: waitWords(e.retryAfter || 60) }) };
    case 'bad_field':
      if (/'member_passphrase'/.test(e.message || '')) return { field: 'hh-pass', say: () => t('resident.error.pass_short') };
      if (/'name'|name/i.test(e.message || '')) return { field: 'hh-name', say: () => t('resident.household.error.name_chars') };
      return { say: () => t('common.error.unknown', { code: e.code }) };
    default:
      return { say: () => failureWords(e) };
  }
}

async function add(ev) {
  ev.preventDefault();
  const form = $('#household-form');
  const errors = $('#household-errors');
  const relation = form.elements.relation.value;
  const pass = $('#hh-pass').value;
  // The enrolment form's checks, in words about them rather than me.
  const idEmpty = normaliseId($('#hh-id').value) === '';
  const problems = [
    ...nameProblems($('#hh-name').value, 'hh-name', 'resident.household.error'),
    ...(idEmpty ? [{ field: 'hh-id', say: () => t('resident.household.error.id_empty') }]
      : idProblems('hh-id', $('#hh-id').value)),
    ...(RELATIONS.includes(relation) ? [] : [{ field: 'hh-relation', say: () => t('resident.household.error.relation') }]),
    ...(pass ? passProblems('hh-pass', pass, false) : []),
  ];
  if (problems.length) return showProblems(errors, form, problems);
  const body = { name: $('#hh-name').value.trim().normalize('NFC'), id_number: normaliseId($('#hh-id').value), relation };
  if (pass) body.member_passphrase = pass;
  $('#hh-submit').disabled = true;
  try {
    const r = await call('POST', '/v1/me/household', body);
    clearProblems(errors, form);
    form.reset();
    $('#hh-pass').type = 'password';
    const key = r.state === 'active' ? 'resident.household.added_active' : 'resident.household.added_pending';
    say(() => t(key, { name: r.name }));
  } catch (e) {
    showProblems(errors, form, [serviceProblem(e)]);
  } finally {
    $('#hh-submit').disabled = false;
  }
  await loadMembers();
}

export function wire() {
  $('#household-form').addEventListener('submit', add);
}

// Everything of the last person goes with the session.
export function forgetAll() {
  done = null;
  members = null;
  guardians = null;
  failure = null;
}
