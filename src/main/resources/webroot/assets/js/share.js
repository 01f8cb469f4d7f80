// Share links: the owner's control in a chat, and the read-only view anyone with the link sees.

import { h, useState, useEffect, useRef, fail, notify } from './ui.js';
import { get, post, del } from './api.js';
import { toSafeHtml, enhance, copyText } from './markdown.js';

/** In a chat: make a link to the current branch, copy it, or stop sharing. */
export function ShareControl({ chatId }) {
  const [open, setOpen] = useState(false);
  const [link, setLink] = useState(null);
  useEffect(() => {
    if (!open) return;
    get('/api/chats/' + chatId + '/share').then(setLink).catch((e) => { if (e.status === 404) setLink(null); else fail(e); });
  }, [open, chatId]);
  const full = link ? location.origin + link.url : '';
  const make = () => post('/api/chats/' + chatId + '/share').then((l) => {
    setLink(l);
    copyText(location.origin + l.url).then(() => notify('Link copied', 'info'), () => {});
  }, fail);
  const stop = () => del('/api/chats/' + chatId + '/share').then(() => { setLink(null); notify('The link no longer works', 'info'); }, fail);
  return h('span', { class: 'share' },
    h('button', { type: 'button', class: 'ghost', 'aria-expanded': open ? 'true' : 'false', onClick: () => setOpen(!open) }, 'Share'),
    open && h('div', { class: 'panel share-panel', role: 'group', 'aria-label': 'Share this chat' },
      h('p', { class: 'hint' }, link
        ? 'Anyone with this link can read the chat as it was when the link was made (not the system prompt).'
        : 'Make a read-only link to this branch of the chat, as it is now.'),
      link && h('input', { readOnly: true, 'aria-label': 'Share link', value: full, onFocus: (e) => e.target.select() }),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', onClick: make }, link ? 'Make a new link' : 'Create link'),
        link && h('button', { type: 'button', onClick: () => copyText(full).then(() => notify('Link copied', 'info'), fail) }, 'Copy link'),
        link && h('button', { type: 'button', class: 'danger', onClick: stop }, 'Stop sharing'))));
}

/** /s/<token>: the shared chat, read-only; no login needed. */
export function SharedView({ token }) {
  const [shared, setShared] = useState(null);
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    fetch('/s/' + encodeURIComponent(token), { headers: { Accept: 'application/json' } })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((s) => { setShared(s); document.title = s.title + ' · shared chat'; })
      .catch(() => setMissing(true));
  }, [token]);
  if (missing) return h('main', { class: 'page shared' }, h('h1', null, 'Shared chat'),
    h('p', { class: 'empty', role: 'alert' }, 'This link does not work: it is wrong, or its owner stopped sharing.'));
  if (!shared) return h('main', { class: 'page shared' }, h('p', { class: 'empty' }, 'Loading…'));
  return h('main', { class: 'page shared', 'aria-label': 'Shared chat' },
    h('h1', null, shared.title || 'Shared chat'),
    h('p', { class: 'hint' }, 'A read-only copy, shared ' + new Date(shared.sharedAt).toLocaleString() + '.'),
    h('div', { class: 'messages', role: 'log', 'aria-label': 'Messages' },
      shared.messages.map((m, i) => h(SharedMessage, { key: i, m }))),
    h('p', null, h('a', { href: '/' }, 'Open the chat app')));
}

function SharedMessage({ m }) {
  const body = useRef(null);
  useEffect(() => enhance(body.current));
  const who = m.role === 'user' ? 'User' : (m.model || 'Assistant');
  return h('article', { class: 'msg ' + m.role, 'aria-label': who + ' message' },
    h('div', { class: 'msg-head' }, h('span', { class: 'who' }, who)),
    h('div', { class: 'msg-body md', ref: body, dangerouslySetInnerHTML: { __html: toSafeHtml(m.content) } }));
}
