// The app: the login page, or the shell (sidebar, chat, settings, admin) once logged in.

import { h, render, useState, useEffect, Notices, useRoute, Link, navigate, fail, Field } from './ui.js';
import { onSession, currentSession, get, login, register, logout, describe, loginWithCode, signingInWith } from './api.js';
import * as bus from './bus.js';
import { Sidebar } from './sidebar.js';
import { ChatView } from './chat.js';
import { Settings } from './settings.js';
import { Admin } from './admin.js';
import { SystemBanner } from './system.js';
import { SharedView } from './share.js';

function App() {
  const route = useRoute();
  const [session, setSession] = useState(currentSession());
  useEffect(() => onSession(setSession), []);
  useEffect(() => {
    if (session) bus.connect(); else bus.disconnect();
  }, [session && session.userId]);
  if (route.page === 'shared') return h('div', { class: 'app' }, h(SystemBanner), h(SharedView, { token: route.token }), h(Notices));
  return h('div', { class: 'app' }, h(SystemBanner), session ? h(Shell, { key: session.userId }) : h(Auth), h(Notices));
}

/** Why a sign-in through a provider ended on the login page, in words ({@code ?loginError=}). */
const LOGIN_ERRORS = {
  provider_unavailable: 'The sign-in provider cannot be reached right now. Try again in a moment.',
  denied: 'The sign-in was cancelled at the provider.',
  expired: 'That sign-in took too long or was already used. Please sign in again.',
  failed: 'The provider did not complete the sign-in. Please try again.',
  invalid_token: 'The provider\'s answer could not be trusted, so you were not signed in.',
  not_allowed: 'Your account at the provider is not in a group that may use this server. Ask its admin.',
  no_account: 'There is no account here for you yet. Ask an admin, or link your sign-in from Settings while logged in.',
  identity_in_use: 'That sign-in is already linked to another account here.',
  disabled: 'Your account here is disabled. Ask an admin.',
};

function Auth() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState({ providers: [], passwordLogin: true });
  const go = (fn) => async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await fn(username.trim(), password);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    document.title = 'Log in · Chat';
    get('/api/auth/providers').then(setProviders).catch(() => {});
    // back from a provider: a one-time code to trade for a session, or why there is none
    const params = new URLSearchParams(location.search);
    const code = params.get('login');
    const why = params.get('loginError');
    if (code || why) history.replaceState(null, '', '/');
    if (why) setError(LOGIN_ERRORS[why] || 'The sign-in did not work (' + why + ').');
    if (code) loginWithCode(code).catch((err) => setError(describe(err)));
  }, []);
  return h('main', { class: 'auth' },
    h('form', { class: 'panel auth-box', onSubmit: go(login), 'aria-label': 'Log in' },
      h('h1', null, 'Chat'),
      providers.passwordLogin && h('p', { class: 'hint' }, 'Log in, or pick a username and password to register.'),
      providers.providers.map((p) => h('a', { key: p.id, class: 'button primary sign-in', href: p.loginUrl,
        onClick: () => signingInWith(p.id) }, 'Sign in with ' + p.name)),
      providers.passwordLogin && h(Field, { label: 'Username', value: username, onInput: setUsername, autocomplete: 'username', required: true }),
      providers.passwordLogin && h(Field, { label: 'Password', type: 'password', value: password, onInput: setPassword,
        autocomplete: 'current-password', required: true }),
      error && h('p', { class: 'error', role: 'alert' }, error),
      providers.passwordLogin && h('div', { class: 'row' },
        h('button', { type: 'submit', class: 'primary', disabled: busy }, 'Log in'),
        h('button', { type: 'button', disabled: busy, onClick: go(register) }, 'Register'))));
}

function Shell() {
  const route = useRoute();
  const [profile, setProfile] = useState(null);
  const [models, setModels] = useState([]);
  const [menu, setMenu] = useState(false);
  const [link, setLink] = useState(bus.status());
  useEffect(() => bus.onStatus(setLink), []);
  useEffect(() => { get('/api/users/me').then(setProfile).catch(fail); }, []);
  useEffect(() => {
    let timer;
    let stopped = false; // the session ended (this shell is gone): a reply still on its way must not poll again
    const poll = () => get('/api/models').then((r) => {
      if (stopped) return;
      setModels(r.models || []);
      // soon while a model loads (or none is there yet), else now and then (pulls, services, workers come and go)
      const busy = (r.models || []).some((m) => m.status === 'loading') || !(r.models || []).length;
      timer = setTimeout(poll, busy ? 3000 : 15000);
    }).catch((e) => {
      if (stopped || !currentSession()) return;
      fail(e);
      timer = setTimeout(poll, 10000);
    });
    poll();
    const now = () => { clearTimeout(timer); poll(); };
    window.addEventListener('chat:models-changed', now);
    return () => { stopped = true; clearTimeout(timer); window.removeEventListener('chat:models-changed', now); };
  }, []);
  const close = () => setMenu(false);
  const isAdmin = profile && profile.role === 'admin';
  return h('div', { class: 'shell' + (menu ? ' menu-open' : '') },
    h('header', { class: 'top' },
      h('button', { type: 'button', class: 'icon menu-toggle', 'aria-label': 'Chats menu', 'aria-expanded': menu ? 'true' : 'false',
        onClick: () => setMenu(!menu) }, '☰'),
      h(Link, { href: '/', class: 'brand', onNavigate: close }, 'Chat'),
      h('span', { class: 'link-state ' + link, role: 'status', title: 'live connection: ' + link },
        link === 'open' ? 'live' : link === 'closed' ? 'offline' : 'reconnecting…'),
      h('span', { class: 'spacer' }),
      h(Link, { href: '/settings', onNavigate: close }, 'Settings'),
      isAdmin && h(Link, { href: '/admin', onNavigate: close }, 'Admin'),
      h('button', { type: 'button', class: 'ghost', onClick: () => logout().then(() => navigate('/', true)) }, 'Log out')),
    h('div', { class: 'body' },
      h(Sidebar, { activeId: route.chatId, onNavigate: close }),
      h('main', { class: 'main' },
        !profile ? h('p', { class: 'empty' }, 'Loading…')
          : route.page === 'settings' ? h(Settings, { profile, models, onProfile: setProfile })
            : route.page === 'admin' ? (isAdmin ? h(Admin, { models }) : h('p', { class: 'empty' }, 'Only admins can see this page.'))
              : h(ChatView, { key: route.chatId || 'new', chatId: route.chatId, models, profile }))));
}

// test hooks: the transport the bridge uses (websocket expected), and a simulated network loss
window.chatDebug = { transport: bus.transport, status: bus.status, drop: bus.drop };

const root = document.getElementById('app');
root.textContent = ''; // the boot placeholder ("Loading…") goes, or it stays below the page
render(h(App), root);
