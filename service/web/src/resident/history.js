// My status history (GET /v1/me/history): every change an officer made,
// newest first, with its reason, in words.
import { ApiError, OfflineError, apiJson } from '../lib/api.js';
import { $, el } from '../lib/dom.js';
import { when } from './accesses.js';
import { both, t } from '../lib/i18n.js';
import { token } from './session.js';

let rows = null;
let failure = null;
let loading = false;

function reason(r) {
  const s = t(`resident.detail.${r}`);
  return s === `resident.detail.${r}` ? r : s;
}

export function render() {
  const list = $('#history-list');
  list.replaceChildren(...(rows || []).map((h) => el('li', { class: `status-${h.status}` },
    el('p', { class: 'history-status status-word', text: both(`status.${h.status}`) }),
    el('p', { text: t('resident.history.when', { time: when(h.time * 1000) }) }),
    el('p', { text: t('resident.history.reason', { reason: reason(h.reason) }) }))));
  $('#history-none').hidden = !rows || rows.length > 0;
  const st = $('#history-status');
  const text = loading ? t('common.loading')
    : failure === 'offline' ? t('resident.error.offline')
      : failure ? t('common.error.unknown', { code: failure }) : '';
  st.hidden = !text;
  st.textContent = text;
}

export async function open(ended) {
  rows = null;
  failure = null;
  loading = true;
  render();
  try {
    rows = (await apiJson('GET', '/v1/me/history', { token: token.get() })).history;
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
