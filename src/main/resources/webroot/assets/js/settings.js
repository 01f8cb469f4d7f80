// Settings (profile and default sampling, password, personas, API keys, export/import, usage) and
// the admin page (users and roles, the system status, models, services, bots, everyone's usage).

import { h, useState, useEffect, Field, SamplingFields, fail, notify, fmtTime } from './ui.js';
import { get, post, put, patch, del, api, download, upload, logout } from './api.js';
import { copyText } from './markdown.js';
import * as bus from './bus.js';
import { refreshChats } from './sidebar.js';
import { SystemPanel } from './system.js';
import { Tickets, FeedbackList } from './support.js';
import { PersonalitySelect } from './personality.js';

export function Settings({ profile, models, onProfile }) {
  return h('section', { class: 'page', 'aria-label': 'Settings' },
    h('h1', null, 'Settings'),
    h(Profile, { profile, models, onProfile }),
    h(Password),
    h(Personas),
    h(ApiKeys),
    h(Transfer),
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
  const [items, setItems] = useState([]);
  const [name, setName] = useState('');
  const [content, setContent] = useState('');
  const load = () => get('/api/personas?limit=100').then((p) => setItems(p.items)).catch(fail);
  useEffect(() => { load(); }, []);
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
      h('button', { type: 'button', class: 'small', 'aria-label': 'Delete persona ' + p.name,
        onClick: () => del('/api/personas/' + p.id).then(load, fail) }, 'Delete')))),
    h('form', { onSubmit: add },
      h(Field, { label: 'Persona name', value: name, onInput: setName, maxLength: 100 }),
      h(Field, { label: 'Persona instructions', type: 'textarea', value: content, onInput: setContent, maxLength: 20000 }),
      h('button', { type: 'submit', disabled: !name.trim() || !content.trim() }, 'Add persona')));
}

function ApiKeys() {
  const [items, setItems] = useState([]);
  const [name, setName] = useState('');
  const [fresh, setFresh] = useState(null);
  const load = () => get('/api/users/me/keys').then((r) => setItems(r.items)).catch(fail);
  useEffect(() => { load(); }, []);
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
      h('button', { type: 'button', class: 'small danger', 'aria-label': 'Revoke key ' + k.name,
        onClick: () => del('/api/users/me/keys/' + k.id).then(load, fail) }, 'Revoke')))),
    h('form', { onSubmit: create, class: 'inline' },
      h('input', { 'aria-label': 'Key name', placeholder: 'Key name', value: name, maxLength: 100, onInput: (e) => setName(e.target.value) }),
      h('button', { type: 'submit' }, 'Create key')));
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

export function Admin({ models }) {
  const [users, setUsers] = useState([]);
  const load = () => get('/api/admin/users?limit=100').then((r) => setUsers(r.items || r)).catch(fail);
  useEffect(() => { load(); }, []);
  const setRole = (u, role) => patch('/api/admin/users/' + u.id, { role }).then(load, fail);
  return h('section', { class: 'page', 'aria-label': 'Admin' },
    h('h1', null, 'Admin'),
    h('div', { class: 'panel', role: 'group', 'aria-label': 'Users' },
      h('h2', null, 'Users'),
      h('table', null, h('thead', null, h('tr', null, h('th', null, 'User'), h('th', null, 'Role'), h('th', null, 'Since'),
        h('th', null, 'Account'), h('th', null, 'Quota (blank: the role\'s default)'))),
        h('tbody', null, users.map((u) => h('tr', { key: u.id },
          h('td', null, u.username),
          h('td', null, h('select', { 'aria-label': 'Role of ' + u.username, value: u.role, onChange: (e) => setRole(u, e.target.value) },
            h('option', { value: 'user' }, 'user'), h('option', { value: 'admin' }, 'admin'))),
          h('td', null, fmtTime(u.createdAt)),
          h('td', null, h('button', { type: 'button', class: 'small' + (u.disabled ? '' : ' danger'),
            'aria-label': (u.disabled ? 'Enable ' : 'Disable ') + u.username,
            onClick: () => patch('/api/admin/users/' + u.id, { disabled: !u.disabled }).then(load, fail) },
          u.disabled ? 'Enable' : 'Disable')),
          h('td', null, h(QuotaEditor, { user: u, onSaved: load }))))))),
    h(SystemPanel),
    h(ModelsPanel, { models }),
    h(Services),
    h(Bots, { models }),
    h(Tickets, { admin: true }),
    h(FeedbackList),
    h(Usage, { path: '/api/admin/usage', title: 'Usage of all users', byUser: true }));
}

/** An admin's per-user limits: tokens per day and answers per minute (blank: the role's default). */
function QuotaEditor({ user, onSaved }) {
  const q = user.quota || {};
  const [tokens, setTokens] = useState(q.tokensPerDay == null ? '' : String(q.tokensPerDay));
  const [rpm, setRpm] = useState(q.requestsPerMinute == null ? '' : String(q.requestsPerMinute));
  const num = (v) => (v.trim() === '' ? null : Number(v));
  const save = (e) => {
    e.preventDefault();
    put('/api/admin/users/' + user.id + '/quota', { tokensPerDay: num(tokens), requestsPerMinute: num(rpm) })
      .then(() => { notify('Quota of ' + user.username + ' saved', 'info'); onSaved(); }, fail);
  };
  return h('form', { class: 'inline quota', onSubmit: save },
    h('input', { 'aria-label': 'Tokens per day of ' + user.username, inputMode: 'numeric', placeholder: 'tokens/day', size: 9,
      value: tokens, onInput: (e) => setTokens(e.target.value) }),
    h('input', { 'aria-label': 'Answers per minute of ' + user.username, inputMode: 'numeric', placeholder: 'answers/min', size: 7,
      value: rpm, onInput: (e) => setRpm(e.target.value) }),
    h('button', { type: 'submit', class: 'small', 'aria-label': 'Save quota of ' + user.username }, 'Save'));
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

/** The models of the cluster; pull one from the Hugging Face hub (progress over the bridge) or delete one. */
function ModelsPanel({ models }) {
  const [repo, setRepo] = useState('');
  const [name, setName] = useState('');
  const [pulls, setPulls] = useState({});
  useEffect(() => bus.onEvent((ev) => {
    if (ev.type !== 'model-pull') return;
    const text = ev.stage === 'download'
      ? ev.file + ' (' + ev.fileIndex + '/' + ev.fileCount + '): ' + (ev.bytes / 1e6).toFixed(1)
        + (ev.totalBytes > 0 ? ' of ' + (ev.totalBytes / 1e6).toFixed(1) : '') + ' MB'
      : ev.stage === 'load' ? 'loading…' : ev.stage === 'ready' ? 'ready' : 'failed: ' + ev.error;
    setPulls((p) => ({ ...p, [ev.pullId]: { name: ev.name, text } }));
    if (ev.stage === 'ready') notify('Model ' + ev.name + ' is ready', 'info');
    if (ev.stage === 'error') notify('Pulling ' + ev.name + ' failed: ' + ev.error);
  }), []);
  const pull = async (e) => {
    e.preventDefault();
    try {
      const source = repo.trim();
      // a repository (org/name), or one GGUF file by its URL on the hub
      const what = /^https?:\/\//.test(source) ? { url: source } : { repo: source };
      const r = await post('/api/admin/models/pull', { ...what, ...(name.trim() ? { name: name.trim() } : {}) });
      setPulls((p) => ({ ...p, [r.pullId]: { name: r.name, text: 'starting…' } }));
      setRepo('');
      setName('');
    } catch (err) { fail(err); }
  };
  return h('div', { class: 'panel', role: 'group', 'aria-label': 'Models' },
    h('h2', null, 'Models'),
    h('table', null, h('thead', null, h('tr', null, h('th', null, 'Model'), h('th', null, 'Status'), h('th', null, 'Device'),
      h('th', null, 'Context'), h('th', null, 'Free slots'), h('th', null, ''))),
    h('tbody', null, (models || []).map((m) => h('tr', { key: m.name },
      h('td', null, m.name), h('td', null, m.status + (m.error ? ': ' + m.error : '') + (m.progress ? ' (' + m.progress + ')' : '')),
      h('td', null, m.info ? m.info.device : ''), h('td', null, m.info ? m.info.contextLength : ''),
      h('td', null, m.info ? m.info.freeSlots + '/' + m.info.maxBatch : ''),
      h('td', null, m.origin === 'local' && h('button', { type: 'button', class: 'small danger', 'aria-label': 'Delete model ' + m.name,
        onClick: () => del('/api/admin/models/' + encodeURIComponent(m.name)).then(() => notify('Deleting ' + m.name, 'info'), fail) },
      'Delete')))))),
    Object.entries(pulls).map(([id, p]) => h('p', { key: id, class: 'hint', role: 'status' }, 'Pull of ' + p.name + ': ' + p.text)),
    h('form', { onSubmit: pull, class: 'inline' },
      h('input', { 'aria-label': 'Hugging Face repository', placeholder: 'org/name, or a .gguf file\'s URL', value: repo,
        onInput: (e) => setRepo(e.target.value) }),
      h('input', { 'aria-label': 'Model name', placeholder: 'name (optional)', value: name, onInput: (e) => setName(e.target.value) }),
      h('button', { type: 'submit', disabled: !repo.trim() }, 'Pull model')));
}

/** Admin-defined bots: a system prompt, a model and defaults; featured ones appear on the start page. */
function Bots({ models }) {
  const [items, setItems] = useState([]);
  const empty = { code: '', name: '', description: '', systemPrompt: '', model: '', start: true };
  const [form, setForm] = useState(empty);
  const load = () => get('/api/admin/bots').then((r) => setItems(r.items)).catch(fail);
  useEffect(() => { load(); }, []);
  const add = async (e) => {
    e.preventDefault();
    try {
      await post('/api/admin/bots', { code: form.code.trim(), name: form.name.trim(), description: form.description,
        systemPrompt: form.systemPrompt || null, model: form.model || null, start: form.start });
      setForm(empty);
      load();
    } catch (err) { fail(err); }
  };
  return h('div', { class: 'panel', role: 'group', 'aria-label': 'Bots' },
    h('h2', null, 'Bots'),
    h('ul', { class: 'rows' }, items.map((b) => h('li', { key: b.id },
      h('strong', null, b.name), h('code', null, b.code), h('span', { class: 'clip' }, b.model || 'default model'),
      h('label', { class: 'small-file' }, b.image ? 'Replace image' : 'Add image',
        h('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp', 'aria-label': 'Image of bot ' + b.name,
          onChange: (e) => { const f = e.target.files[0]; e.target.value = ''; if (f) upload('/api/admin/bots/' + b.id + '/image', f).then(load, fail); } })),
      b.start && h('span', { class: 'hint' }, 'on the start page'),
      h('button', { type: 'button', class: 'small danger', 'aria-label': 'Delete bot ' + b.name,
        onClick: () => del('/api/admin/bots/' + b.id).then(load, fail) }, 'Delete')))),
    h('form', { onSubmit: add },
      h('div', { class: 'grid' },
        h(Field, { label: 'Bot code', value: form.code, onInput: (v) => setForm({ ...form, code: v }), placeholder: 'helper' }),
        h(Field, { label: 'Bot name', value: form.name, onInput: (v) => setForm({ ...form, name: v }) }),
        h('label', { class: 'field' }, h('span', null, 'Bot model'),
          h('select', { value: form.model, onChange: (e) => setForm({ ...form, model: e.target.value }) },
            h('option', { value: '' }, 'Default model'),
            (models || []).filter((m) => !m.name.endsWith('/*')).map((m) => h('option', { key: m.name, value: m.name }, m.name))))),
      h(Field, { label: 'Bot description', value: form.description, onInput: (v) => setForm({ ...form, description: v }) }),
      h(Field, { label: 'Bot system prompt', type: 'textarea', value: form.systemPrompt,
        onInput: (v) => setForm({ ...form, systemPrompt: v }) }),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: form.start,
        onChange: (e) => setForm({ ...form, start: e.target.checked }) }), ' On the start page'),
      h('button', { type: 'submit', disabled: !form.code.trim() || !form.name.trim() }, 'Add bot')));
}

/** Upstream OpenAI-compatible services: their models are served as <name>/<model>. */
function Services() {
  const [items, setItems] = useState([]);
  const [form, setForm] = useState({ name: '', baseUrl: '', apiKey: '' });
  const [checked, setChecked] = useState({});
  const load = () => get('/api/admin/services').then((r) => setItems(r.items)).catch(fail);
  useEffect(() => { load(); }, []);
  const add = async (e) => {
    e.preventDefault();
    try {
      await post('/api/admin/services', { name: form.name.trim(), baseUrl: form.baseUrl.trim(),
        ...(form.apiKey ? { apiKey: form.apiKey } : {}) });
      setForm({ name: '', baseUrl: '', apiKey: '' });
      notify('Service added; its models appear in a moment', 'info');
      load();
    } catch (err) { fail(err); }
  };
  const test = async (s) => {
    try {
      const r = await post('/api/admin/services/' + s.id + '/test', {});
      setChecked({ ...checked, [s.id]: 'serves ' + (r.models.join(', ') || 'no model') + (r.warning ? '. ' + r.warning : '') });
    } catch (err) {
      setChecked({ ...checked, [s.id]: String(err.message) });
    }
  };
  const toggle = (s) => put('/api/admin/services/' + s.id, { enabled: !s.enabled }).then(load, fail);
  return h('div', { class: 'panel', role: 'group', 'aria-label': 'Upstream services' },
    h('h2', null, 'Upstream services'),
    h('p', { class: 'hint' }, 'OpenAI-compatible services (OpenAI, vLLM, llama.cpp, Ollama, another chat-server): their models are served as <name>/<model>.'),
    h('ul', { class: 'rows' }, items.map((s) => h('li', { key: s.id },
      h('strong', null, s.name), h('code', { class: 'clip' }, s.baseUrl),
      h('span', { class: 'hint' }, s.hasApiKey ? 'key set' : 'no key', s.enabled ? '' : ', disabled'),
      checked[s.id] && h('span', { class: 'hint', role: 'status' }, checked[s.id]),
      h('button', { type: 'button', class: 'small', 'aria-label': 'Test service ' + s.name, onClick: () => test(s) }, 'Test'),
      h('button', { type: 'button', class: 'small', 'aria-label': (s.enabled ? 'Disable service ' : 'Enable service ') + s.name,
        onClick: () => toggle(s) }, s.enabled ? 'Disable' : 'Enable'),
      h('button', { type: 'button', class: 'small danger', 'aria-label': 'Remove service ' + s.name,
        onClick: () => del('/api/admin/services/' + s.id).then(load, fail) }, 'Remove')))),
    h('form', { onSubmit: add },
      h('div', { class: 'grid' },
        h(Field, { label: 'Service name', value: form.name, onInput: (v) => setForm({ ...form, name: v }), placeholder: 'openai' }),
        h(Field, { label: 'Base URL', value: form.baseUrl, onInput: (v) => setForm({ ...form, baseUrl: v }),
          placeholder: 'https://api.openai.com/v1' }),
        h(Field, { label: 'API key', type: 'password', value: form.apiKey, onInput: (v) => setForm({ ...form, apiKey: v }),
          autocomplete: 'off' })),
      h('button', { type: 'submit', disabled: !form.name.trim() || !form.baseUrl.trim() }, 'Add service')));
}
