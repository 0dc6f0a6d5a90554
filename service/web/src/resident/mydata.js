// My data (GET /v1/me/export): a copy of everything the service holds
// about me, as one JSON file to keep. The page fetches it with the
// session's token (which never goes in a URL), then hands the browser the
// very bytes the service sent as a download named as the service names
// it. Each download is an `export` entry in my accesses.
import { ApiError, OfflineError, apiText } from '../lib/api.js';
import { $ } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { token } from './session.js';

const FILE = 'ankang-export.json';
let state = null; // null, 'working', 'done', 'offline', 'failed'

export function render() {
  const st = $('#mydata-status');
  const say = {
    working: () => t('resident.mydata.working'),
    done: () => t('resident.mydata.done', { file: FILE }),
    offline: () => t('resident.error.offline'),
    failed: () => t('resident.mydata.failed'),
  }[state];
  st.hidden = !say;
  st.textContent = say ? say() : '';
  st.classList.toggle('warn', state === 'offline' || state === 'failed');
  $('#mydata-download').disabled = state === 'working';
}

// The view opens afresh: no word left from an earlier visit.
export function open() {
  state = null;
  render();
}

function save(text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = FILE;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has the bytes once the click is handled; the URL may go.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function download(ended) {
  state = 'working';
  render();
  try {
    save(await apiText('GET', '/v1/me/export', { token: token.get() }));
    state = 'done';
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      state = null;
      return ended();
    }
    state = e instanceof OfflineError ? 'offline' : 'failed';
  }
  render();
}

export function wireMyData(ended) {
  $('#mydata-download').addEventListener('click', () => download(ended));
}
