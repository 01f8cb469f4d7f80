// The server's mode (normal, maintenance, read-only): a banner for everyone, and the admin's control.

import { h, useState, useEffect, fail, notify } from './ui.js';
import { get, put } from './api.js';

const listeners = new Set();
let last = null;

/** Reads the status now (also after a 503 that names a mode) and tells the banner. */
export function refreshStatus() {
  return fetch('/api/system/status').then((r) => r.json()).then((s) => {
    last = s;
    listeners.forEach((l) => l(s));
    return s;
  }).catch(() => last);
}

/** What this server offers ({webSearch}), read once per page (a server restart with a new config reloads the page anyway). */
let featuresOnce = null;
export function features() {
  featuresOnce ||= fetch('/api/system/status').then((r) => r.json()).then((s) => s.features || {}).catch(() => { featuresOnce = null; return {}; });
  return featuresOnce;
}

function useStatus() {
  const [status, setStatus] = useState(last);
  useEffect(() => {
    listeners.add(setStatus);
    refreshStatus();
    const timer = setInterval(refreshStatus, 30000);
    window.addEventListener('chat:system-status', refreshStatus); // a 503 that names a mode: show it at once
    return () => { listeners.delete(setStatus); clearInterval(timer); window.removeEventListener('chat:system-status', refreshStatus); };
  }, []);
  return status;
}

const LABEL = { maintenance: 'Maintenance', 'read-only': 'Read-only' };
const WHAT = {
  maintenance: 'no new answers for now; everything else works.',
  'read-only': 'you can read everything, but nothing can be changed for now.',
};

/** A banner while the server is not in its normal mode. */
export function SystemBanner() {
  const s = useStatus();
  if (!s || s.mode === 'normal') return null;
  return h('div', { class: 'banner ' + s.mode, role: 'status', 'aria-label': 'System status' },
    h('strong', null, LABEL[s.mode] + ': '), s.message ? s.message + ' ' : '', h('span', { class: 'hint' }, WHAT[s.mode]));
}

/** Admins set the mode and the message people see. */
export function SystemPanel() {
  const [mode, setMode] = useState('normal');
  const [message, setMessage] = useState('');
  useEffect(() => {
    get('/api/system/status').then((s) => { setMode(s.mode); setMessage(s.message || ''); }).catch(fail);
  }, []);
  const save = (e) => {
    e.preventDefault();
    put('/api/system/status', { mode, message }).then((s) => {
      notify('The server is now ' + s.mode, 'info');
      refreshStatus();
    }, fail);
  };
  return h('div', { class: 'panel', role: 'group', 'aria-label': 'System status' },
    h('h2', null, 'System status'),
    h('form', { onSubmit: save, class: 'inline' },
      h('select', { 'aria-label': 'Mode', value: mode, onChange: (e) => setMode(e.target.value) },
        h('option', { value: 'normal' }, 'normal'),
        h('option', { value: 'maintenance' }, 'maintenance (no new answers)'),
        h('option', { value: 'read-only' }, 'read-only (no changes)')),
      h('input', { 'aria-label': 'Status message', placeholder: 'What people see', maxLength: 500, value: message,
        onInput: (e) => setMessage(e.target.value) }),
      h('button', { type: 'submit' }, 'Set status')));
}
