// The SockJS event bus bridge: generation requests go out on chat.generate / chat.stop /
// chat.attach, deltas come back on user.<id>. The connection is re-made after a network loss or a
// server restart (with the current access token), the handler is registered again, and every job
// still being watched is re-attached from the last sequence number seen, so nothing is lost.

import { ApiFailure, token, refresh, currentSession, modeRefusal } from './api.js';

/* global EventBus */

const listeners = new Set();   // (event) => void, for {type: delta|done, jobId, seq, ...}
const statusListeners = new Set();
const reconnectListeners = new Set();
let opened = false;            // this login has had an open connection before (so the next open is a reconnect)
const watched = new Map();     // jobId -> highest contiguous seq seen (for re-attach)
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
  watched.clear();
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
      if (ev.type === 'delta' && watched.has(ev.jobId) && ev.seq === watched.get(ev.jobId) + 1) watched.set(ev.jobId, ev.seq);
      if (ev.type === 'done') watched.delete(ev.jobId);
      listeners.forEach((l) => l(ev));
    });
    setState('open');
    for (const [jobId, seq] of watched) attach(jobId, seq).catch(() => {});
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
        // failures arrive as {failureCode: status, message: "code: text"}
        const code = err.failureCode || (err.body && err.body.failureCode) || 0;
        const text = err.message || (err.body && err.body.message) || String(err);
        const i = text.indexOf(': ');
        modeRefusal(i > 0 ? text.slice(0, i) : '');
        reject(new ApiFailure(code, i > 0 ? text.slice(0, i) : 'error', i > 0 ? text.slice(i + 2) : text));
      } else {
        resolve(reply.body);
      }
    });
  });
}

/** Sends a message and starts the answer; resolves with {jobId, assistantMessageId, message, ...}. */
export async function generate(req) {
  const r = await request('chat.generate', req);
  watched.set(r.jobId, watched.get(r.jobId) || 0);
  return r;
}

/** Follows a job (started by REST, or before a reload) from after sequence number {@code from}. */
export async function attach(jobId, from = 0) {
  if (!watched.has(jobId) || watched.get(jobId) < from) watched.set(jobId, from);
  return request('chat.attach', { jobId, from });
}

export function stop(jobId) {
  return request('chat.stop', { jobId });
}

export function forget(jobId) {
  watched.delete(jobId);
}
