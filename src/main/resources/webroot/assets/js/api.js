// REST client: JSON in and out, the access token refreshed before it expires, every failure turned
// into an ApiFailure with a message a person can read.

const STORE = 'chat.session';

/** A refusal because of the server's mode (maintenance, read-only): the banner reads the status again. */
export function modeRefusal(code) {
  if (code === 'maintenance' || code === 'read_only') window.dispatchEvent(new Event('chat:system-status'));
}

export class ApiFailure extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** What a person should read for a failure (the server's own message, made friendlier where it helps). */
export function describe(err) {
  if (!(err instanceof ApiFailure)) return String(err && err.message || err);
  if (err.code === 'maintenance' || err.code === 'read_only' || err.code === 'database_unavailable'
    || (err.code || '').startsWith('upstream_')) return err.message[0].toUpperCase() + err.message.slice(1);
  switch (err.status) {
    case 0: return 'Cannot reach the server (network lost?). ' + err.message;
    case 413: return 'That is too large for the server: ' + err.message;
    case 429: return err.code === 'too_many_generations'
      ? 'An answer is still being generated. Wait for it or stop it first. (' + err.message + ')'
      : err.message[0].toUpperCase() + err.message.slice(1);
    case 503: return 'The model is not available right now: ' + err.message;
    case 504: return 'No worker answered for this model in time: ' + err.message;
    default: return err.message;
  }
}

let session = load();
let refreshTimer = null;
let refreshing = null;
const listeners = new Set();

function load() {
  try { return JSON.parse(localStorage.getItem(STORE)) || null; } catch { return null; }
}

function save(s) {
  session = s;
  if (s) localStorage.setItem(STORE, JSON.stringify(s)); else localStorage.removeItem(STORE);
  schedule();
  listeners.forEach((l) => l(s));
}

/** Called with the session (or null once logged out or expired). */
export function onSession(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentSession() {
  return session;
}

export function token() {
  return session && session.token;
}

function schedule() {
  clearTimeout(refreshTimer);
  if (!session) return;
  // refresh at 80% of the access token's life (at least 5 s from now)
  const due = session.obtainedAt + session.expiresIn * 800 - Date.now();
  refreshTimer = setTimeout(() => refresh().catch(() => {}), Math.max(5000, due));
}

function accept(r) {
  save({ token: r.token, refreshToken: r.refreshToken, expiresIn: r.expiresIn, userId: r.userId, role: r.role,
    obtainedAt: Date.now() });
  return r;
}

/** Rotates the refresh token; on failure the session ends (the page shows the login form). */
export function refresh() {
  if (!session) return Promise.reject(new ApiFailure(401, 'unauthorized', 'not logged in'));
  if (!refreshing) {
    refreshing = raw('POST', '/api/auth/refresh', { refreshToken: session.refreshToken }, false)
      .then(accept, (e) => {
        if (e.status === 401) save(null);
        throw e;
      })
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function raw(method, path, body, auth) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && session) headers.Authorization = 'Bearer ' + session.token;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiFailure(0, 'network', e.message || 'network error');
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    const e = json && json.error ? json.error : {};
    modeRefusal(e.code);
    throw new ApiFailure(res.status, e.code || 'http_' + res.status, e.message || res.statusText || 'request failed', e.field);
  }
  return json !== null ? json : text;
}

/** An authenticated call; a 401 is retried once after a refresh, then ends the session. */
export async function api(method, path, body) {
  try {
    return await raw(method, path, body, true);
  } catch (e) {
    if (e.status !== 401 || !session) throw e;
    await refresh();
    return raw(method, path, body, true);
  }
}

export const get = (p) => api('GET', p);
export const post = (p, b = {}) => api('POST', p, b);
export const put = (p, b) => api('PUT', p, b);
export const patch = (p, b) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

export async function login(username, password) {
  return accept(await raw('POST', '/api/auth/login', { username, password }, false));
}

export async function register(username, password) {
  const r = await raw('POST', '/api/auth/register', { username, password }, false);
  // registration that waits for an admin's approval: no session yet, and the person reads why
  if (r.pending) throw new ApiFailure(201, 'pending', r.message[0].toUpperCase() + r.message.slice(1) + '.');
  return accept(r);
}

const PROVIDER = 'chat.signedInWith';

/** Signs in with the one-time code a provider's sign-in left in the page's address ({@code /?login=...}). */
export async function loginWithCode(code) {
  return accept(await raw('POST', '/api/auth/oidc/exchange', { code }, false));
}

/** Remembers which provider the person went to sign in with (its logout follows ours). */
export function signingInWith(providerId) {
  localStorage.setItem(PROVIDER, providerId);
}

/**
 * Ends this server's session; after a sign-in through a provider that offers it, the browser then
 * goes to the provider's end-session page (which comes back here).
 */
export async function logout() {
  const s = session;
  save(null);
  if (s) await raw('POST', '/api/auth/logout', { refreshToken: s.refreshToken }, false).catch(() => {});
  const via = localStorage.getItem(PROVIDER);
  localStorage.removeItem(PROVIDER);
  if (via) {
    const list = await raw('GET', '/api/auth/providers', undefined, false).catch(() => null);
    const p = list && list.providers.find((x) => x.id === via);
    if (p && p.logoutUrl) location.href = p.logoutUrl;
  }
}

/** An authenticated image as an object URL the page can show (CSP allows blob: images). */
export async function imageUrl(path) {
  const res = await fetch(path, { headers: { Authorization: 'Bearer ' + token() } });
  if (!res.ok) throw new ApiFailure(res.status, 'image', 'image not available (' + res.status + ')');
  return URL.createObjectURL(await res.blob());
}

/** Sends a file's bytes as the body (bot images with PUT, chat files with POST); answers the JSON reply, if any. */
export async function upload(path, file, method = 'PUT') {
  const res = await fetch(path, { method, headers: { Authorization: 'Bearer ' + token(), 'Content-Type': file.type || 'application/octet-stream' },
    body: file });
  if (!res.ok) {
    let msg = res.statusText;
    try { msg = (await res.json()).error.message; } catch { /* not JSON */ }
    throw new ApiFailure(res.status, 'upload', file.name ? file.name + ': ' + msg : msg);
  }
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** Downloads a file from an authenticated URL (exports). */
export async function download(path, filename) {
  const res = await fetch(path, { headers: { Authorization: 'Bearer ' + token() } });
  if (!res.ok) throw new ApiFailure(res.status, 'download', 'export failed (' + res.status + ')');
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

schedule();
