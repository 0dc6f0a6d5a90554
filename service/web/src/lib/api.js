// Calls to the service's HTTP API (docs/API.md). The token goes in the
// Authorization header, never in a URL. Every failure is one of:
//
//   ApiError      the service answered an error: .status, .code (the
//                 stable code of docs/API.md), .retryAfter (seconds, for 429)
//   OfflineError  the service could not be reached at all
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export class OfflineError extends Error {}

async function call(method, path, { token, body, accept } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (accept) headers.Accept = accept;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch (e) {
    throw new OfflineError(String(e));
  }
  if (!res.ok) {
    let err = {};
    try {
      err = await res.json();
    } catch {
      /* not JSON: a proxy's page, say */
    }
    const retry = Number(res.headers.get('Retry-After'));
    throw new ApiError(res.status, err.error || `http_${res.status}`, err.message,
      Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  return res;
}

export async function apiJson(method, path, opts) {
  return (await call(method, path, opts)).json();
}

export async function apiText(method, path, opts) {
  return (await call(method, path, opts)).text();
}

// A token kept for one page's role in this browser. Residents' and
// accounts' tokens are bearer secrets: kept in localStorage (so the page
// works after a reload, and a checkpoint device signs in once), sent only
// in headers, and removed on log-out or when the service says 401.
export function tokenStore(role) {
  const key = `ankang.${role}.token`;
  return {
    get: () => localStorage.getItem(key),
    set: (t) => localStorage.setItem(key, t),
    clear: () => localStorage.removeItem(key),
  };
}

// An answer as bytes (an image, a PDF) with its headers.
export async function apiBlob(method, path, opts) {
  const res = await call(method, path, opts);
  return { blob: await res.blob(), type: res.headers.get('Content-Type') || '', headers: res.headers };
}

// An answer as bytes (a tile of the log).
export async function apiBytes(method, path, opts) {
  return new Uint8Array(await (await call(method, path, opts)).arrayBuffer());
}
