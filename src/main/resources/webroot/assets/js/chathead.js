// A chat's header: its title, the model picker, the chat settings (persona, system prompt,
// sampling), sharing, feedback and export.

import { h, useState, useEffect, fail, notify, Field, SamplingFields, useList } from './ui.js';
import { patch, download } from './api.js';
import { ShareControl } from './share.js';
import { FeedbackControl } from './support.js';

/** The title and the chat-wide controls; {@code settingsOpen} shows the chat settings under it. */
export function ChatHeader({ chat, chatId, models, model, onModel, settingsOpen, onToggleSettings }) {
  return h('header', { class: 'chat-head' },
    h('h1', null, chat ? chat.title : 'New chat'),
    h('label', { class: 'model-pick' }, h('span', { class: 'sr-only' }, 'Model'),
      h('select', { 'aria-label': 'Model', value: model, onChange: (e) => onModel(e.target.value || undefined) },
        h('option', { value: '' }, 'Default model'),
        (models || []).filter((mo) => !mo.name.endsWith('/*')).map((mo) => h('option', { key: mo.name, value: mo.name, disabled: mo.status !== 'ready' },
          mo.name + (mo.status === 'ready' ? '' : mo.status === 'loading' ? ' (' + (mo.progress || 'loading…') + ')' : ' (error: ' + (mo.error || 'unavailable') + ')'))))),
    h('button', { type: 'button', class: 'ghost', 'aria-expanded': settingsOpen ? 'true' : 'false',
      onClick: onToggleSettings }, 'Chat settings'),
    chatId && h(ShareControl, { chatId }),
    chatId && h(FeedbackControl, { chatId }),
    chatId && h(ExportMenu, { chatId, title: chat ? chat.title : 'chat' }));
}

export function ChatSettings({ chat, chatId, prefs, setPref, onSaved }) {
  const [system, setSystem] = useState(chat ? chat.systemMessage || '' : prefs.systemMessage || '');
  const [personas] = useList('/api/personas?limit=100');
  const save = async (e) => {
    e.preventDefault();
    try {
      if (chatId) {
        await patch('/api/chats/' + chatId, { systemMessage: system || null });
        onSaved();
      } else {
        setPref({ ...prefs, systemMessage: system || undefined });
      }
      notify('Chat settings saved', 'info');
    } catch (err) { fail(err); }
  };
  return h('form', { class: 'panel chat-settings', onSubmit: save, 'aria-label': 'Chat settings' },
    h('label', { class: 'field' }, h('span', null, 'Persona'),
      h('select', { onChange: (e) => { const p = personas.find((x) => x.id === e.target.value); if (p) setSystem(p.content); } },
        h('option', { value: '' }, personas.length ? 'Use a persona…' : 'No personas (add them in Settings)'),
        personas.map((p) => h('option', { key: p.id, value: p.id }, p.name)))),
    h(Field, { label: 'System prompt', type: 'textarea', value: system, onInput: setSystem, maxLength: 20000 }),
    h('p', { class: 'hint' }, 'Sampling for this chat (empty = your defaults from Settings):'),
    h(SamplingFields, { values: prefs.options || {}, onChange: (o) => setPref({ ...prefs, options: o }) }),
    h('button', { type: 'submit', class: 'primary' }, 'Save chat settings'));
}

function ExportMenu({ chatId, title }) {
  const safe = title.replace(/[^A-Za-z0-9 _-]+/g, '').trim().slice(0, 40) || 'chat';
  const run = (format) => download('/api/chats/' + chatId + '/export?format=' + format, safe + (format === 'json' ? '.json' : '.md'))
    .catch(fail);
  return h('span', { class: 'export' },
    h('button', { type: 'button', class: 'ghost', onClick: () => run('json') }, 'Export JSON'),
    h('button', { type: 'button', class: 'ghost', onClick: () => run('markdown') }, 'Export Markdown'));
}
