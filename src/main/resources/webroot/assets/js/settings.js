// Settings: profile and default sampling, password, personas, API keys, export/import, usage and
// limits, support tickets, deleting the account. (The Admin page is admin.js.)

import { h, useState, useEffect, Field, SamplingFields, fail, notify, fmtTime, useList, ConfirmButton } from './ui.js';
import { get, post, put, patch, del, api, download, logout } from './api.js';
import { copyText } from './markdown.js';
import { refreshChats } from './sidebar.js';
import { Tickets } from './support.js';
import { PersonalitySelect } from './personality.js';

export function Settings({ profile, models, onProfile }) {
  return h('section', { class: 'page', 'aria-label': 'Settings' },
    h('h1', null, 'Settings'),
    h(Profile, { profile, models, onProfile }),
    h(Password),
    h(Personas),
    h(ApiKeys),
    h(Transfer),
    h(SignIns),
    h(Usage, { path: '/api/users/me/usage', title: 'Your usage' }),
    h(MyQuota),
    h(Tickets, { admin: false }),
    h(DeleteAccount));
}

/** Deleting the account (and everything it owns) takes the password and a second click. */
function DeleteAccount() {
  const [password, setPassword] = useState('');
  const [sure, setSure] = useState(false);
  const go = async (e) => {
    e.preventDefault();
    if (!sure) { setSure(true); return; }
    try {
      await api('DELETE', '/api/users/me', { password });
      await logout();
    } catch (err) { fail(err); setSure(false); }
  };
  return h('form', { class: 'panel', onSubmit: go, 'aria-label': 'Delete account' },
    h('h2', null, 'Delete account'),
    h('p', { class: 'hint' }, 'Deletes your account with all its chats, personas, API keys and usage. This cannot be undone.'),
    h(Field, { label: 'Password to delete the account', type: 'password', value: password, onInput: setPassword,
      autocomplete: 'current-password' }),
    h('button', { type: 'submit', class: 'danger', disabled: !password }, sure ? 'Yes, delete everything' : 'Delete my account'));
}

function Profile({ profile, models, onProfile }) {
  const [nickname, setNickname] = useState(profile.nickname || '');
  const [system, setSystem] = useState(profile.systemPrompt || '');
  const [model, setModel] = useState(profile.preferredModel || '');
  const [settings, setSettings] = useState(profile.settings || {});
  const [personality, setPersonality] = useState(profile.defaultPersonality || null);
  const save = async (e) => {
    e.preventDefault();
    try {
      const p = await put('/api/users/me', { nickname: nickname.trim() || null, systemPrompt: system || null,
        preferredModel: model || null, defaultPersonality: personality, settings });
      onProfile(p);
      notify('Profile saved', 'info');
    } catch (err) { fail(err); }
  };
  return h('form', { class: 'panel', onSubmit: save, 'aria-label': 'Profile' },
    h('h2', null, 'Profile'),
    h('p', { class: 'hint' }, 'Signed in as ', h('strong', null, profile.username), profile.role === 'admin' ? ' (admin)' : ''),
    h(Field, { label: 'Nickname', value: nickname, onInput: setNickname, maxLength: 50 }),
    h(Field, { label: 'Default system prompt', type: 'textarea', value: system, onInput: setSystem, maxLength: 20000 }),
    h(PersonalitySelect, { label: 'Default personality for new chats', value: personality, onChange: setPersonality }),
    h('label', { class: 'field' }, h('span', null, 'Preferred model'),
      h('select', { value: model, onChange: (e) => setModel(e.target.value) },
        h('option', { value: '' }, 'Server default'),
        (models || []).map((m) => h('option', { key: m.name, value: m.name }, m.name)))),
    h('p', { class: 'hint' }, 'Default sampling for your answers (a chat can override them):'),
    h(SamplingFields, { values: settings, onChange: setSettings }),
    h('button', { type: 'submit', class: 'primary' }, 'Save profile'));
}

function Password() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const save = async (e) => {
    e.preventDefault();
    try {
      await put('/api/users/me/password', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      notify('Password changed', 'info');
    } catch (err) { fail(err); }
  };
  return h('form', { class: 'panel', onSubmit: save, 'aria-label': 'Password' },
    h('h2', null, 'Password'),
    h(Field, { label: 'Current password', type: 'password', value: current, onInput: setCurrent, autocomplete: 'current-password' }),
    h(Field, { label: 'New password', type: 'password', value: next, onInput: setNext, autocomplete: 'new-password', minLength: 8 }),
    h('button', { type: 'submit' }, 'Change password'));
}

function Personas() {
  const [items, load] = useList('/api/personas?limit=100');
  const [name, setName] = useState('');
  const [content, setContent] = useState('');
  const add = async (e) => {
    e.preventDefault();
    try {
      await post('/api/personas', { name, content });
      setName('');
      setContent('');
      load();
    } catch (err) { fail(err); }
  };
  return h('div', { class: 'panel', role: 'group', 'aria-label': 'Personas' },
    h('h2', null, 'Personas'),
    h('ul', { class: 'rows' }, items.map((p) => h('li', { key: p.id },
      h('strong', null, p.name), h('span', { class: 'clip' }, p.content),
      h(ConfirmButton, { label: 'Delete', name: 'persona ' + p.name, onConfirm: () => del('/api/personas/' + p.id).then(load, fail) })))),
    h('form', { onSubmit: add },
      h(Field, { label: 'Persona name', value: name, onInput: setName, maxLength: 100 }),
      h(Field, { label: 'Persona instructions', type: 'textarea', value: content, onInput: setContent, maxLength: 20000 }),
      h('button', { type: 'submit', disabled: !name.trim() || !content.trim() }, 'Add persona')));
}

function ApiKeys() {
  const [items, load] = useList('/api/users/me/keys');
  const [name, setName] = useState('');
  const [fresh, setFresh] = useState(null);
  const create = async (e) => {
    e.preventDefault();
    try {
      const k = await post('/api/users/me/keys', { name: name.trim() || 'API key' });
      setFresh(k);
      setName('');
      load();
    } catch (err) { fail(err); }
  };
  return h('div', { class: 'panel', role: 'group', 'aria-label': 'API keys' },
    h('h2', null, 'API keys'),
    h('p', { class: 'hint' }, 'Keys work wherever a login does, also as an OpenAI API key: base URL ', h('code', null, location.origin + '/v1')),
    fresh && h('div', { class: 'fresh-key', role: 'status' },
      h('span', null, 'Your new key (shown only once): '), h('code', null, fresh.key),
      h('button', { type: 'button', class: 'small', onClick: () => copyText(fresh.key).then(() => notify('Key copied', 'info')) }, 'Copy key'),
      h('button', { type: 'button', class: 'ghost', onClick: () => setFresh(null) }, 'Done')),
    h('ul', { class: 'rows' }, items.map((k) => h('li', { key: k.id },
      h('strong', null, k.name), h('code', null, k.prefix ? k.prefix + '…' : ''),
      h('span', { class: 'hint' }, 'created ' + fmtTime(k.createdAt) + (k.lastUsedAt ? ', last used ' + fmtTime(k.lastUsedAt) : '')),
      h(ConfirmButton, { label: 'Revoke', name: 'key ' + k.name, onConfirm: () => del('/api/users/me/keys/' + k.id).then(load, fail) })))),
    h('form', { onSubmit: create, class: 'inline' },
      h('input', { 'aria-label': 'Key name', placeholder: 'Key name', value: name, maxLength: 100, onInput: (e) => setName(e.target.value) }),
      h('button', { type: 'submit' }, 'Create key')));
}

/** Sign-in providers this account can be linked to (then it signs in with them too). */
function SignIns() {
  const [list, setList] = useState([]);
  useEffect(() => { get('/api/auth/providers').then((r) => setList(r.providers)).catch(fail); }, []);
  if (!list.length) return null;
  const link = (p) => post('/api/auth/oidc/' + p.id + '/link').then((r) => { location.href = r.url; }, fail);
  return h('div', { class: 'panel', role: 'group', 'aria-label': 'Sign-in providers' },
    h('h2', null, 'Sign-in providers'),
    h('p', { class: 'hint' }, 'Link this account to your sign-in at a provider, then use either to log in.'),
    h('div', { class: 'row' }, list.map((p) => h('button', { key: p.id, type: 'button', onClick: () => link(p) }, 'Link ' + p.name))));
}

function Transfer() {
  const importFile = async (e) => {
    const file = e.target.files && e.target.files[0];
    e.target.value = '';
    if (!file) return;
    try {
      const doc = JSON.parse(await file.text());
      const r = await api('POST', '/api/import', doc);
      const n = Array.isArray(r.chats) ? r.chats.length : r.chats;
      notify('Imported ' + (n !== undefined ? n + ' chat(s)' : 'the file'), 'info');
      refreshChats();
    } catch (err) {
      fail(err instanceof SyntaxError ? new Error('That file is not JSON: ' + err.message) : err);
    }
  };
  return h('div', { class: 'panel', role: 'group', 'aria-label': 'Export and import' },
    h('h2', null, 'Export and import'),
    h('div', { class: 'row' },
      h('button', { type: 'button', onClick: () => download('/api/export?format=json', 'chats.json').catch(fail) }, 'Export everything (JSON)'),
      h('button', { type: 'button', onClick: () => download('/api/export?format=markdown', 'chats.md').catch(fail) }, 'Export everything (Markdown)')),
    h('label', { class: 'field' }, h('span', null, 'Import a JSON export'),
      h('input', { type: 'file', accept: 'application/json,.json', onChange: importFile })));
}

/** Tokens per day as bars (stacked by model), with the table beside it. */
export function Usage({ path, title, byUser }) {
  const [data, setData] = useState(null);
  useEffect(() => { get(path).then(setData).catch(fail); }, [path]);
  if (!data) return h('div', { class: 'panel' }, h('h2', null, title), 'Loading…');
  const items = data.items || [];
  const days = [...new Set(items.map((i) => i.day))].sort();
  const modelsSeen = [...new Set(items.map((i) => i.model))];
  const perDay = days.map((d) => items.filter((i) => i.day === d));
  const max = Math.max(1, ...perDay.map((rows) => rows.reduce((s, r) => s + r.promptTokens + r.completionTokens, 0)));
  const W = 600;
  const H = 140;
  const bw = days.length ? Math.min(40, (W - 20) / days.length - 4) : 0;
  return h('div', { class: 'panel', role: 'group', 'aria-label': title },
    h('h2', null, title),
    items.length === 0 ? h('p', { class: 'hint' }, 'No usage in this period.') : h('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + (H + 20),
      role: 'img', 'aria-label': 'Tokens per day' },
    perDay.map((rows, i) => {
      let y = H;
      return rows.map((r) => {
        const hgt = ((r.promptTokens + r.completionTokens) / max) * (H - 10);
        y -= hgt;
        return h('rect', { key: days[i] + r.model + (r.username || ''), x: 10 + i * (bw + 4), y, width: bw, height: hgt,
          class: 'bar m' + (modelsSeen.indexOf(r.model) % 4) }, h('title', null, days[i] + ' ' + r.model + ': '
          + (r.promptTokens + r.completionTokens) + ' tokens'));
      });
    }),
    days.map((d, i) => h('text', { key: d, x: 10 + i * (bw + 4) + bw / 2, y: H + 14, class: 'axis' }, d.slice(5)))),
    items.length > 0 && h('table', null,
      h('thead', null, h('tr', null, byUser && h('th', null, 'User'), h('th', null, 'Day'), h('th', null, 'Model'),
        h('th', null, 'Requests'), h('th', null, 'Prompt tokens'), h('th', null, 'Completion tokens'))),
      h('tbody', null, items.map((r) => h('tr', { key: r.day + r.model + (r.userId || '') },
        byUser && h('td', null, r.username), h('td', null, r.day), h('td', null, r.model), h('td', null, r.requests),
        h('td', null, r.promptTokens), h('td', null, r.completionTokens))))));
}

/** The caller's quotas and today's use. */
function MyQuota() {
  const [q, setQ] = useState(null);
  useEffect(() => { get('/api/users/me/quota').then(setQ).catch(fail); }, []);
  if (!q) return null;
  const t = q.tokensPerDay;
  const r = q.requestsPerMinute;
  return h('div', { class: 'panel', role: 'group', 'aria-label': 'Your limits' },
    h('h2', null, 'Your limits'),
    h('p', null, t.limit == null ? 'No daily token limit; ' + t.used + ' tokens used today.'
      : t.used + ' of ' + t.limit + ' tokens used today (starts again at midnight UTC).'),
    h('p', null, r.limit == null ? 'No limit on answers per minute.' : 'At most ' + r.limit + ' answers per minute.'));
}
