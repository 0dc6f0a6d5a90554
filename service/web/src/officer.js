// The officer's desk (pages/officer.html): sign in with an officer's
// account token; look a person up by ID number with a stated purpose;
// change their status with a reason, after a confirmation; print a paper
// code; answer appeals, oldest first, with the deadline in words; confirm
// household consent; and the officer's own recent actions from the log.
// Every request names its purpose or reason, as the service requires.
// Each section is its own module under officer/; this file signs in and
// out and gives them what they share (the desk context below).
import './officer.css';
import { ApiError, OfflineError, apiJson, tokenStore } from './lib/api.js';
import { $, showErrors, showView } from './lib/dom.js';
import { applyTo, langSwitch, onLangChange, t } from './lib/i18n.js';
import { loadActions, resetActions, setupActions } from './officer/actions.js';
import { loadAppeals, resetAppeals, setupAppeals } from './officer/appeals.js';
import { fieldError } from './officer/form.js';
import { loadHousehold, resetHousehold, setupHousehold } from './officer/household.js';
import { resetPerson, setupPerson } from './officer/person.js';

const tokens = tokenStore('officer');
const rerender = [];

// What the sections share: the token, errors in words, the end of a
// session, and "an action was taken" (the own-actions list reloads).
const desk = {
  token: () => tokens.get(),
  errorWords(e) {
    if (e instanceof OfflineError) return t('common.error.network');
    if (e instanceof ApiError && e.status === 429) return t('common.error.rate_limited', { seconds: e.retryAfter || 1 });
    if (e instanceof ApiError) return t('common.error.unknown', { code: e.code });
    return t('common.error.unknown', { code: e.message });
  },
  // A 401 anywhere: the token is no longer good. Back to sign-in, saying so.
  ended(e) {
    if (!(e instanceof ApiError && e.status === 401)) return false;
    forget();
    showSignin(t('officer.signin.ended'));
    return true;
  },
  // 404 from a list endpoint: this server does not have it (yet).
  missing: (e) => e instanceof ApiError && e.status === 404,
  acted: () => loadActions(desk),
  onRender: (fn) => rerender.push(fn),
};

function setTitle() {
  const view = $('[data-view]:not([hidden])')?.dataset.view;
  document.title = view === 'signin' ? t('officer.signin.title') : view === 'desk' ? t('officer.desk.title') : t('officer.title');
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

async function signIn(ev) {
  ev.preventDefault();
  const token = $('#token').value.trim();
  let problem = null;
  if (!token) problem = t('officer.signin.error.empty');
  else if (!/^aka_[A-Za-z0-9_-]+$/.test(token)) problem = t('officer.signin.error.format');
  if (!problem) {
    // The officer's own actions: an officer-only read that writes no leaf.
    try {
      await apiJson('GET', '/v1/officer/actions?limit=1', { token });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) problem = t('officer.signin.error.bad_token');
      else if (e instanceof ApiError && e.status === 403) problem = t('officer.signin.error.wrong_role');
      else problem = desk.errorWords(e);
    }
  }
  fieldError('token', problem);
  showErrors($('#signin-errors'), problem ? [{ field: 'token', text: problem }] : []);
  if (problem) return;
  tokens.set(token);
  openDesk();
}

// The token and everything the service showed go together.
function forget() {
  tokens.clear();
  resetPerson();
  resetAppeals();
  resetHousehold();
  resetActions();
}

function signOut() {
  forget();
  showSignin(t('officer.signed_out'));
}

function openDesk() {
  resetPerson();
  showView('desk');
  setTitle();
  loadAppeals(desk);
  loadHousehold(desk);
  loadActions(desk);
}

applyTo();
langSwitch($('#lang'));
setupPerson(desk);
setupAppeals(desk);
setupHousehold(desk);
setupActions(desk);
onLangChange(() => {
  setTitle();
  if (!$('[data-view="desk"]').hidden) for (const fn of rerender) fn();
});
$('#signin-form').addEventListener('submit', signIn);
$('#sign-out').addEventListener('click', signOut);

if (tokens.get()) openDesk();
else showSignin();
