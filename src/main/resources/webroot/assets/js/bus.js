// The SockJS event bus bridge: generation requests go out on chat.generate / chat.stop /
// chat.attach, deltas come back on user.<id>. The connection is re-made after a network loss or a
// server restart (with the current access token) and the handler is registered again; jobs.js,
// the one module that follows answers, then re-attaches each from the last delta it holds.

import { ApiFailure, token, refresh, currentSession, modeRefusal } from './api.js';

/* global EventBus */

const listeners = new Set();   // (event) => void, for {type: delta|done, jobId, seq, ...}
const statusListeners = new Set();
const reconnectListeners = new Set();
const openListeners = new Set();
let opened = false;            // this login has had an open connection before (so the next open is a reconnect)
let eb = null;
let userId = null;
let state = 'closed';
let retry = 0;
let retryTimer = null;
let waiters = [];

export function onEvent(l) { listeners.add(l); return () => listeners.delete(l); }
export function onStatus(l) { statusListeners.add(l); l(state); return () => statusListeners.delete(l); }
export function status() { return state; }
/** Called after the connection was re-made (not on the first open). */
export function onReconnect(l) { reconnectListeners.add(l); return () => reconnectListeners.delete(l); }
/** Called each time the connection opens, the first time too (before the reconnect listeners). */
export function onOpen(l) { openListeners.add(l); return () => openListeners.delete(l); }

function setState(s) {
  state = s;
  statusListeners.forEach((l) => l(s));
}

/** The SockJS transport in use (websocket, xhr-streaming, ...), for the tests and the status line. */
export function transport() {
  return eb && eb.sockJSConn && eb.sockJSConn.transport ? eb.sockJSConn.transport : null;
}

/** Test hook: drops the connection as a network loss would (it is re-made by itself). */
export function drop() {
  if (eb && eb.sockJSConn) eb.sockJSConn.close();
}

// A cut network often closes nothing: no frame says the socket is gone, and the badge would stay
// "live". The browser knows, though: on "offline" the connection is dropped (so the badge says
// reconnecting and the retries begin); on "online" a waiting retry goes at once.
window.addEventListener('offline', () => {
  if (eb && userId) drop();
});
window.addEventListener('online', () => {
  if (userId && !eb && currentSession()) {
    clearTimeout(retryTimer);
    open();
  }
});

export function connect() {
  const s = currentSession();
  if (!s) return;
  if (eb && userId === s.userId && (state === 'open' || state === 'connecting')) return;
  disconnect();
  userId = s.userId;
  open();
}

export function disconnect() {
  clearTimeout(retryTimer);
  userId = null;
  opened = false;
  if (eb) {
    const old = eb;
    eb = null;
    old.onclose = null;
    try { old.close(); } catch { /* already closed */ }
  }
  setState('closed');
}

function open() {
  setState(retry ? 'reconnecting' : 'connecting');
  const bus = new EventBus('/eventbus?token=' + encodeURIComponent(token()), { vertxbus_ping_interval: 5000 });
  eb = bus;
  bus.onopen = () => {
    if (eb !== bus) return;
    retry = 0;
    bus.registerHandler('user.' + userId, {}, (err, msg) => {
      if (err || !msg) return;
      const ev = msg.body;
      listeners.forEach((l) => l(ev));
    });
    setState('open');
    openListeners.forEach((l) => l());
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
    if (opened) reconnectListeners.forEach((l) => l());
    opened = true;
  };
  bus.onclose = () => {
    if (eb !== bus) return;
    eb = null;
    if (!userId) return;
    setState('reconnecting');
    const delay = Math.min(8000, 500 * 2 ** retry++);
    retryTimer = setTimeout(async () => {
      if (!userId) return;
      // the token may have expired while we were away: get a fresh one first
      if (retry > 1) await refresh().catch(() => {});
      if (userId && currentSession()) open();
    }, delay);
  };
}

function ready() {
  if (state === 'open' && eb) return Promise.resolve();
  connect();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new ApiFailure(0, 'network', 'the live connection to the server is not open')), 10000);
    waiters.push(() => { clearTimeout(t); resolve(); });
  });
}

async function request(address, body) {
  await ready();
  return new Promise((resolve, reject) => {
    // a reply lost with the connection must not leave the caller waiting for ever
    const t = setTimeout(() => reject(new ApiFailure(0, 'network', 'no reply from the server (connection lost?)')), 30000);
    eb.send(address, body, {}, (err, reply) => {
      clearTimeout(t);
      if (err) {
        // failures arrive as {failureCode: HTTP status, message: '{"code", "message", "field"?}'}
        const status = err.failureCode || (err.body && err.body.failureCode) || 0;
        const text = err.message || (err.body && err.body.message) || String(err);
        let e;
        try { e = JSON.parse(text); } catch (x) { e = { code: 'error', message: text }; }
        modeRefusal(e.code || '');
        reject(new ApiFailure(status, e.code || 'error', e.message || text, e.field));
      } else {
        resolve(reply.body);
      }
    });
  });
}

/** Sends a message and starts the answer; resolves with {jobId, assistantMessageId, message, ...}. */
export function generate(req) {
  return request('chat.generate', req);
}

/** Has a job's deltas after sequence number `from` (then its live ones) sent again to this user's address. */
export function attach(jobId, from = 0) {
  return request('chat.attach', { jobId, from });
}

export function stop(jobId) {
  return request('chat.stop', { jobId });
}

