// The Admin page: users (roles, accounts, quotas), the system's mode, models (pull from the hub,
// delete), upstream services, bots, support tickets, feedback and everyone's usage.

import { h, useState, useEffect, Field, fail, notify, fmtTime, useList, ConfirmButton } from './ui.js';
import { get, post, put, patch, del, upload } from './api.js';
import * as bus from './bus.js';
import { SystemPanel } from './system.js';
import { Tickets, FeedbackList } from './support.js';
import { Usage } from './settings.js';

export function Admin({ models }) {
  const [users, load] = useList('/api/admin/users?limit=100');
  // a refused change (the last admin, say) reads the list again, so the dropdown shows the role kept
  const setRole = (u, role) => patch('/api/admin/users/' + u.id, { role }).then(load, (e) => { fail(e); load(); });
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
      h('td', null, m.origin === 'local' && h(ConfirmButton, { label: 'Delete', name: 'model ' + m.name,
        onConfirm: () => del('/api/admin/models/' + encodeURIComponent(m.name)).then(() => {
          notify('Deleting ' + m.name, 'info');
          window.dispatchEvent(new Event('chat:models-changed')); // the table reads the models again at once
        }, fail) })))))),
    Object.entries(pulls).map(([id, p]) => h('p', { key: id, class: 'hint', role: 'status' }, 'Pull of ' + p.name + ': ' + p.text)),
    h('form', { onSubmit: pull, class: 'inline' },
      h('input', { 'aria-label': 'Hugging Face repository', placeholder: 'org/name, or a .gguf file\'s URL', value: repo,
        onInput: (e) => setRepo(e.target.value) }),
      h('input', { 'aria-label': 'Model name', placeholder: 'name (optional)', value: name, onInput: (e) => setName(e.target.value) }),
      h('button', { type: 'submit', disabled: !repo.trim() }, 'Pull model')));
}

/** Admin-defined bots: a system prompt, a model and defaults; featured ones appear on the start page. */
function Bots({ models }) {
  const [items, load] = useList('/api/admin/bots');
  const empty = { code: '', name: '', description: '', systemPrompt: '', model: '', start: true };
  const [form, setForm] = useState(empty);
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
      h(ConfirmButton, { label: 'Delete', name: 'bot ' + b.name, onConfirm: () => del('/api/admin/bots/' + b.id).then(load, fail) })))),
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
  const [items, load] = useList('/api/admin/services');
  const [form, setForm] = useState({ name: '', baseUrl: '', apiKey: '' });
  const [checked, setChecked] = useState({});
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
      h(ConfirmButton, { label: 'Remove', name: 'service ' + s.name,
        onConfirm: () => del('/api/admin/services/' + s.id).then(load, fail) })))),
    h('form', { onSubmit: add },
      h('div', { class: 'grid' },
        h(Field, { label: 'Service name', value: form.name, onInput: (v) => setForm({ ...form, name: v }), placeholder: 'openai' }),
        h(Field, { label: 'Base URL', value: form.baseUrl, onInput: (v) => setForm({ ...form, baseUrl: v }),
          placeholder: 'https://api.openai.com/v1' }),
        h(Field, { label: 'API key', type: 'password', value: form.apiKey, onInput: (v) => setForm({ ...form, apiKey: v }),
          autocomplete: 'off' })),
      h('button', { type: 'submit', disabled: !form.name.trim() || !form.baseUrl.trim() }, 'Add service')));
}
