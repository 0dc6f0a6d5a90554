// The resident page (pages/index.html): log in or enrol; then the code,
// who has looked at my data (with proofs), my status history, print my
// code, erase my data, log out. One view at a time, named in the URL's
// fragment (#code, #accesses, ...), so the browser's Back button works.
//
// Modules: resident/auth.js (the two forms), resident/code.js (the code
// and its refreshing), resident/accesses.js and resident/proof.js (the
// accesses and their proofs), resident/history.js, resident/appeals.js
// (appeal my status), resident/session.js
// (what is kept in this browser), resident/form.js (error summaries),
// resident/household.js (my household), resident/mydata.js (downloading
// my data).
import { keepForOffline } from './lib/offline.js';
import './resident.css';
import { ApiError, OfflineError, apiJson } from './lib/api.js';
import { $, showView } from './lib/dom.js';
import { applyTo, langSwitch, onLangChange, t } from './lib/i18n.js';
import * as accesses from './resident/accesses.js';
import * as appeals from './resident/appeals.js';
import { wireAuth } from './resident/auth.js';
import * as code from './resident/code.js';
import {
  clearProblems, hasProblems, onProblems, reshowProblems, showProblems, wireShowPassphrase,
} from './resident/form.js';
import * as statusHistory from './resident/history.js';
import * as household from './resident/household.js';
import * as myData from './resident/mydata.js';
import { forget, token } from './resident/session.js';

const OUT = ['start', 'enrol', 'erased']; // views for someone not logged in
const IN = ['code', 'accesses', 'history', 'erase', 'appeals', 'household', 'mydata'];
const TITLES = {
  start: () => t('resident.title'),
  enrol: () => t('resident.enrol.heading'),
  code: () => t('resident.code.heading'),
  accesses: () => t('resident.accesses.heading'),
  history: () => t('resident.history.heading'),
  erase: () => t('resident.erase.heading'),
  household: () => t('resident.household.heading'),
  erased: () => t('resident.erased.heading'),
  appeals: () => t('resident.appeal.heading'),
  mydata: () => t('resident.mydata.heading'),
};

let view = null;
let erasedShown = false; // the erased view only right after an erasure
let startNotice = null; // () => words for the log-in view's notice

function title() {
  const base = `${TITLES[view]()} – ${t('resident.brand')}`;
  document.title = hasProblems() ? `${t('resident.error.title_prefix')} ${base}` : base;
}

function notice(say) {
  startNotice = say;
  const n = $('#start-notice');
  n.hidden = !say;
  n.textContent = say ? say() : '';
}

// Back to the log-in view, with the words that say why.
function signedOut(say) {
  code.stop();
  household.forgetAll();
  forget();
  notice(say);
  go('start');
}

const ended = () => signedOut(() => t('common.error.bad_token'));

function go(next) {
  if (location.hash !== `#${next}`) location.hash = next;
  else route();
}

function route() {
  let next = location.hash.slice(1) || (token.get() ? 'code' : 'start');
  if (!TITLES[next]) next = token.get() ? 'code' : 'start';
  if (token.get() && OUT.includes(next)) next = 'code';
  if (!token.get() && IN.includes(next)) next = 'start';
  if (next === 'erased' && !erasedShown) next = 'start';
  if (`#${next}` !== location.hash && location.hash !== '') {
    window.history.replaceState(null, '', `#${next}`);
  }
  const changed = next !== view;
  view = next;
  document.body.dataset.shown = next; // the print styles print the code's card
  if (token.get()) code.start(ended);
  if (changed) {
    showView(next);
    if (next === 'accesses') accesses.open(ended);
    if (next === 'history') statusHistory.open(ended);
    if (next === 'appeals') appeals.open(ended);
    if (next === 'code') household.openCode(ended);
    if (next === 'household') household.open(ended);
    if (next === 'mydata') myData.open();
    if (next === 'erase') {
      $('#erase-form').reset();
      clearProblems($('#erase-errors'), $('#erase-form'));
    }
    if (next !== 'start') notice(null);
  }
  title();
}

async function logout(all) {
  const tok = token.get();
  try {
    await apiJson('DELETE', all ? '/v1/sessions' : '/v1/session', { token: tok });
    signedOut(() => t(all ? 'resident.logout.done_all' : 'resident.logout.done'));
  } catch (e) {
    if (e instanceof OfflineError) signedOut(() => t('resident.logout.offline'));
    else if (e instanceof ApiError && e.status === 401) signedOut(() => t('resident.logout.done'));
    else signedOut(() => t('resident.logout.unsure'));
  }
}

async function erase(ev) {
  ev.preventDefault();
  const form = $('#erase-form');
  const errors = $('#erase-errors');
  if (!$('#erase-confirm').checked) {
    showProblems(errors, form, [{ field: 'erase-confirm', say: () => t('resident.erase.not_ticked') }]);
    return;
  }
  $('#erase-submit').disabled = true;
  let pending = false;
  try {
    await apiJson('DELETE', '/v1/me', { token: token.get() });
  } catch (e) {
    // 503 erasure_incomplete: erased, the last copies still being wiped.
    // 404: an earlier request erased me. 401: the session ended with it.
    const gone = e instanceof ApiError &&
      (e.code === 'erasure_incomplete' || e.status === 404 || e.status === 401);
    if (!gone) {
      $('#erase-submit').disabled = false;
      const say = e instanceof OfflineError ? () => t('resident.error.offline') : () => t('resident.erase.failed');
      showProblems(errors, form, [{ say }]);
      return;
    }
    pending = e.code === 'erasure_incomplete';
  }
  $('#erase-submit').disabled = false;
  code.stop();
  household.forgetAll();
  forget();
  erasedShown = true;
  $('#erased-pending').hidden = !pending;
  go('erased');
}

function wire() {
  applyTo();
  langSwitch($('#lang'));
  wireShowPassphrase();
  wireAuth(() => {
    notice(null);
    go('code');
  });
  accesses.wireAccesses();
  appeals.wireAppeals(ended);
  household.wire();
  myData.wireMyData(ended);
  $('#code-refresh').addEventListener('click', () => code.refresh());
  $('#code-print').addEventListener('click', () => code.printCard());
  $('#logout').addEventListener('click', () => logout(false));
  $('#logout-all').addEventListener('click', () => logout(true));
  $('#erase-form').addEventListener('submit', erase);
  window.addEventListener('hashchange', route);
  onLangChange(() => {
    reshowProblems();
    code.render();
    if (view === 'accesses') accesses.render();
    if (view === 'history') statusHistory.render();
    if (view === 'appeals') appeals.render();
    if (view === 'mydata') myData.render();
    household.renderSwitch();
    household.renderHousehold();
    notice(startNotice);
    title();
  });
  // A form's problems change the title too (GOV.UK: "Error: ...").
  onProblems(() => title());
  route();
  // Keeps the page for use with no network (src/sw.js).
  keepForOffline();
}

wire();
