// The chat list: newest activity first, paged as it scrolls, searchable, filterable to favourites;
// each chat can be renamed, (un)favourited and deleted (after a confirmation).

import { h, useState, useEffect, useRef, Link, navigate, fail, notify } from './ui.js';
import { get, patch, del } from './api.js';

const PAGE = 30;
let bump = () => {};

/** Asks the list to reload (after a chat was created or changed elsewhere). */
export function refreshChats() {
  bump();
}

export function Sidebar({ activeId, onNavigate }) {
  const [items, setItems] = useState([]);
  const [total, setTotal] = useState(0);
  const [q, setQ] = useState('');
  const [favOnly, setFavOnly] = useState(false);
  const [version, setVersion] = useState(0);
  const [loading, setLoading] = useState(false);
  const sentinel = useRef(null);
  const state = useRef({ items: [], loading: false, done: false, q: '', favOnly: false });

  bump = () => setVersion((v) => v + 1);

  const load = async (reset) => {
    const s = state.current;
    if (s.loading || (!reset && s.done)) return;
    s.loading = true;
    setLoading(true);
    const offset = reset ? 0 : s.items.length;
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (s.q.trim()) params.set('q', s.q.trim());
    if (s.favOnly) params.set('favorite', 'true');
    try {
      const page = await get('/api/chats?' + params);
      s.items = reset ? page.items : [...s.items, ...page.items];
      s.done = s.items.length >= page.total || page.items.length === 0;
      setItems(s.items);
      setTotal(page.total);
    } catch (e) {
      fail(e);
    } finally {
      s.loading = false;
      setLoading(false);
    }
  };

  useEffect(() => {
    state.current.q = q;
    state.current.favOnly = favOnly;
    const t = setTimeout(() => load(true), q ? 250 : 0);
    return () => clearTimeout(t);
  }, [q, favOnly, version]);

  useEffect(() => {
    if (!sentinel.current || !window.IntersectionObserver) return undefined;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) load(false);
    });
    io.observe(sentinel.current);
    return () => io.disconnect();
  }, []);

  const update = (id, changes) => {
    state.current.items = state.current.items.map((c) => (c.id === id ? { ...c, ...changes } : c));
    setItems(state.current.items);
  };
  const remove = (id) => {
    state.current.items = state.current.items.filter((c) => c.id !== id);
    setItems(state.current.items);
    setTotal((t) => t - 1);
  };

  return h('nav', { class: 'sidebar', 'aria-label': 'Chats' },
    h('button', { type: 'button', class: 'primary wide', onClick: () => { if (onNavigate) onNavigate(); navigate('/'); } }, 'New chat'),
    h('input', { type: 'search', 'aria-label': 'Search chats', placeholder: 'Search chats', value: q,
      onInput: (e) => setQ(e.target.value) }),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: favOnly, onChange: (e) => setFavOnly(e.target.checked) }),
      ' Favourites only'),
    h('ul', { class: 'chat-list', 'aria-label': 'Chat list' },
      items.map((c) => h(ChatItem, { key: c.id, chat: c, active: c.id === activeId, onNavigate, update, remove }))),
    h('div', { ref: sentinel, class: 'sentinel' }, loading ? 'Loading…' : items.length === 0
      ? (q || favOnly ? 'No chat matches.' : 'No chats yet.') : items.length < total ? '' : ''));
}

function ChatItem({ chat, active, onNavigate, update, remove }) {
  const [mode, setMode] = useState('view');
  const [title, setTitle] = useState(chat.title);

  const rename = async (e) => {
    e.preventDefault();
    try {
      const c = await patch('/api/chats/' + chat.id, { title: title.trim() || 'New chat' });
      window.dispatchEvent(new CustomEvent('chat:changed', { detail: { id: chat.id } })); // an open chat shows the new title
      update(chat.id, { title: c.title });
      setMode('view');
    } catch (err) { fail(err); }
  };
  const favourite = async () => {
    try {
      const c = await patch('/api/chats/' + chat.id, { favorite: !chat.favorite });
      update(chat.id, { favorite: c.favorite });
    } catch (err) { fail(err); }
  };
  const remove_ = async () => {
    try {
      await del('/api/chats/' + chat.id);
      remove(chat.id);
      notify('Chat "' + chat.title + '" deleted', 'info');
      if (active) navigate('/');
    } catch (err) { fail(err); }
  };

  if (mode === 'rename') {
    return h('li', { class: 'chat-item' }, h('form', { onSubmit: rename, class: 'inline' },
      h('input', { 'aria-label': 'Chat title', value: title, onInput: (e) => setTitle(e.target.value), maxLength: 200, autoFocus: true }),
      h('button', { type: 'submit' }, 'Save'),
      h('button', { type: 'button', class: 'ghost', onClick: () => setMode('view') }, 'Cancel')));
  }
  if (mode === 'delete') {
    return h('li', { class: 'chat-item confirm' }, h('span', null, 'Delete "' + chat.title + '"?'),
      h('button', { type: 'button', class: 'danger', onClick: remove_ }, 'Confirm delete'),
      h('button', { type: 'button', class: 'ghost', onClick: () => setMode('view') }, 'Cancel'));
  }
  return h('li', { class: 'chat-item' + (active ? ' active' : '') },
    h(Link, { href: '/c/' + chat.id, class: 'chat-link', 'aria-current': active ? 'page' : undefined, onNavigate },
      chat.favorite ? '★ ' : '', chat.title),
    h('span', { class: 'chat-actions' },
      h('button', { type: 'button', class: 'icon', title: 'Rename', 'aria-label': 'Rename ' + chat.title,
        onClick: () => { setTitle(chat.title); setMode('rename'); } }, '✎'),
      h('button', { type: 'button', class: 'icon', title: chat.favorite ? 'Unfavourite' : 'Favourite',
        'aria-label': (chat.favorite ? 'Unfavourite ' : 'Favourite ') + chat.title, 'aria-pressed': chat.favorite ? 'true' : 'false',
        onClick: favourite }, chat.favorite ? '★' : '☆'),
      h('button', { type: 'button', class: 'icon', title: 'Delete', 'aria-label': 'Delete ' + chat.title,
        onClick: () => setMode('delete') }, '✕')));
}
