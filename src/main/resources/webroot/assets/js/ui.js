// Small shared pieces: Preact's h and hooks, notices (errors that always reach the person), the
// client-side router, and form helpers.

/* global preact, preactHooks */

export const { h, render, Fragment } = preact;
export const { useState, useEffect, useRef, useCallback, useMemo } = preactHooks;

import { describe, get } from './api.js';

// ---- notices: every failure is shown, none is silent ----
const noticeListeners = new Set();
let notices = [];
let nextNotice = 1;

export function notify(text, kind = 'error', action) {
  const n = { id: nextNotice++, text, kind, action };
  notices = [...notices, n].slice(-4);
  noticeListeners.forEach((l) => l(notices));
  // errors stay longer, but every notice goes by itself (one with an action waits for it)
  if (!action) setTimeout(() => dismiss(n.id), kind === 'error' ? 10000 : 4000);
  return n.id;
}

/** Forgets every notice (a new login starts clean). */
export function dismissAll() {
  notices = [];
  noticeListeners.forEach((l) => l(notices));
}

export function fail(err) {
  notify(describe(err), 'error');
}

export function dismiss(id) {
  notices = notices.filter((n) => n.id !== id);
  noticeListeners.forEach((l) => l(notices));
}

export function Notices() {
  const [list, setList] = useState(notices);
  useEffect(() => { noticeListeners.add(setList); return () => noticeListeners.delete(setList); }, []);
  return h('div', { class: 'notices', role: 'alert', 'aria-live': 'assertive' },
    list.map((n) => h('div', { key: n.id, class: 'notice ' + n.kind },
      h('span', null, n.text),
      n.action && h('button', { type: 'button', onClick: () => { n.action.run(); dismiss(n.id); } }, n.action.label),
      h('button', { type: 'button', class: 'ghost', 'aria-label': 'Dismiss', onClick: () => dismiss(n.id) }, '×'))));
}

// ---- routing: /, /c/<chatId>, /settings, /admin, /s/<token> (a shared chat) ----
const routeListeners = new Set();

export function parseRoute(path = location.pathname) {
  const m = path.match(/^\/c\/([A-Za-z0-9-]+)/);
  if (m) return { page: 'chat', chatId: m[1] };
  const s = path.match(/^\/s\/([A-Za-z0-9_-]+)/);
  if (s) return { page: 'shared', token: s[1] };
  if (path.startsWith('/settings')) return { page: 'settings' };
  if (path.startsWith('/admin')) return { page: 'admin' };
  return { page: 'chat', chatId: null };
}

export function navigate(path, replace = false) {
  if (location.pathname !== path) {
    if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  }
  routeListeners.forEach((l) => l(parseRoute()));
}

export function useRoute() {
  const [route, setRoute] = useState(parseRoute());
  useEffect(() => {
    const onPop = () => setRoute(parseRoute());
    routeListeners.add(setRoute);
    window.addEventListener('popstate', onPop);
    return () => { routeListeners.delete(setRoute); window.removeEventListener('popstate', onPop); };
  }, []);
  return route;
}

/** A link that navigates inside the app. */
export function Link(props) {
  const { href, children, ...rest } = props;
  return h('a', { href, ...rest, onClick: (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    if (props.onNavigate) props.onNavigate();
    navigate(href);
  } }, children);
}

/** A labelled input; `label` is its accessible name. */
export function Field({ label, value, onInput, type = 'text', ...rest }) {
  return h('label', { class: 'field' },
    h('span', null, label),
    type === 'textarea'
      ? h('textarea', { value, onInput: (e) => onInput(e.target.value), rows: rest.rows || 3, ...rest })
      : h('input', { type, value, onInput: (e) => onInput(e.target.value), ...rest }));
}

// ---- sampling settings shared by the user defaults and the per-chat overrides ----
export const SAMPLING = [
  { key: 'temperature', label: 'Temperature', step: '0.05', min: 0, float: true },
  { key: 'top_p', label: 'Top p', step: '0.05', min: 0, max: 1, float: true },
  { key: 'top_k', label: 'Top k', step: '1', min: 0 },
  { key: 'max_tokens', label: 'Max tokens', step: '1', min: 1 },
  { key: 'repeat_penalty', label: 'Repetition penalty', step: '0.05', min: 0.01, float: true },
  { key: 'seed', label: 'Seed', step: '1' },
];

/** Number inputs for the sampling options; empty = not set. */
export function SamplingFields({ values, onChange }) {
  return h('div', { class: 'grid' }, SAMPLING.map((s) => h(Field, {
    key: s.key, label: s.label, type: 'number', step: s.step, min: s.min, max: s.max,
    value: values[s.key] === undefined || values[s.key] === null ? '' : String(values[s.key]),
    onInput: (v) => {
      const next = { ...values };
      if (v === '' || Number.isNaN(Number(v))) delete next[s.key];
      else next[s.key] = s.float ? Number(v) : Math.trunc(Number(v));
      onChange(next);
    },
  })));
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

/**
 * A list from the API (its {items}), read when the component mounts and whenever {@code path}
 * changes (null: nothing to read); {@code reload} reads it again, after a change. The one list
 * loader of the pages.
 */
export function useList(path) {
  const [items, setItems] = useState([]);
  const reload = () => (path ? get(path).then((r) => setItems(r.items || r)).catch(fail) : Promise.resolve());
  useEffect(() => { reload(); }, [path]);
  return [items, reload];
}

/**
 * A button for something that cannot be undone: the first click asks ("Delete X?" with Confirm and
 * Cancel), the second does it. {@code label} is the button's text, {@code name} what it acts on.
 */
export function ConfirmButton({ label, name, onConfirm, className = 'small danger' }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return h('button', { type: 'button', class: className, 'aria-label': label + ' ' + name, onClick: () => setAsking(true) }, label);
  }
  return h('span', { class: 'confirm', role: 'group', 'aria-label': label + ' ' + name + '?' },
    h('span', null, label + ' ' + name + '?'),
    h('button', { type: 'button', class: 'small danger', onClick: () => { setAsking(false); onConfirm(); } }, 'Confirm ' + label.toLowerCase()),
    h('button', { type: 'button', class: 'small ghost', onClick: () => setAsking(false) }, 'Cancel'));
}
