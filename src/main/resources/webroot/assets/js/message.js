// One message of a chat as the page shows it: its text (saved, or what its live job streamed), its
// state, its web sources and files, and what a person can do with it.

import { h, useState, useEffect, useRef, fail } from './ui.js';
import { download } from './api.js';
import * as jobs from './jobs.js';
import { toSafeHtml, enhance } from './markdown.js';

/** An answer's web sources (saved, or live from its job), as numbered links; or why the search gave none. */
function Sources({ m }) {
  const j = m.status === 'streaming' && m.jobId ? jobs.job(m.jobId) : null;
  const sources = m.sources || (j && j.sources);
  const error = m.searchError || (j && j.searchError);
  if (!(sources && sources.length) && !error) return null;
  return h('div', { class: 'sources' },
    sources && sources.length > 0 && h('ol', { 'aria-label': 'Sources' }, sources.map((s) => h('li', { key: s.index, value: s.index },
      h('a', { href: s.url, target: '_blank', rel: 'noopener noreferrer', title: s.snippet || s.url }, s.title || s.url)))),
    error && h('p', { class: 'hint' }, 'Web search: ' + error));
}

/**
 * Where a message stands, with what its live job knows: the job may have ended before the save
 * caught up, or no node may know it any more (a server restart).
 */
export function liveState(m) {
  const j = m.status === 'streaming' && m.jobId ? jobs.job(m.jobId) : null;
  const lost = !!(j && j.lost);
  const ended = j && j.done ? j.done : null;
  const streaming = m.status === 'streaming' && !lost && !ended;
  return { lost, ended, streaming, status: lost ? 'error' : ended ? ended.status || 'done' : m.status };
}

/** What a message shows: the saved text, or while it streams, what the live job has. */
export function displayText(m) {
  if (m.status === 'streaming' && m.jobId) {
    const j = jobs.job(m.jobId);
    if (j && !j.lost) {
      const t = jobs.text(j);
      return t.length >= m.content.length || j.parts.length ? t : m.content;
    }
  }
  return m.content;
}

/**
 * A streaming message whose job has ended, settled with what the job streamed and how it ended
 * (text, status, usage, sources), so the page keeps what it showed without reading the chat again.
 * Any other message comes back as it is.
 */
export function settled(m) {
  const j = m.status === 'streaming' && m.jobId ? jobs.job(m.jobId) : null;
  if (!j || !j.done) return m;
  const d = j.done;
  const text = typeof d.text === 'string' ? (j.prefix || '') + d.text : jobs.text(j);
  const usage = { ...(d.usage || {}), ...(d.error ? { error: d.error } : {}) };
  const parts = d.openai || {};
  return { ...m, content: text, status: d.status || 'done', usage, sources: m.sources || j.sources, searchError: m.searchError || j.searchError,
    reasoning: parts.reasoning_content || j.reasoning || m.reasoning, toolCalls: parts.tool_calls || j.toolCalls || m.toolCalls };
}

/** An answer that is JSON as a whole (a schema-constrained one), shown as a JSON code block. */
function asMarkdown(m, text) {
  const t = text.trim();
  if (m.role === 'assistant' && (t.startsWith('{') || t.startsWith('[')) && !liveState(m).streaming) {
    try {
      return '```json\n' + JSON.stringify(JSON.parse(t), null, 2) + '\n```';
    } catch { /* not JSON after all */ }
  }
  return text;
}

/** A thinking model's reasoning, collapsed under "Thinking" (live while it streams). */
function Thinking({ m }) {
  const j = m.status === 'streaming' && m.jobId ? jobs.job(m.jobId) : null;
  const reasoning = m.reasoning || (j && j.reasoning);
  if (!reasoning) return null;
  return h('details', { class: 'thinking' }, h('summary', null, 'Thinking'), h('div', { class: 'thinking-text' }, reasoning));
}

/** The tool calls of an answer as cards: the function and its arguments. */
function ToolCalls({ m }) {
  const j = m.status === 'streaming' && m.jobId ? jobs.job(m.jobId) : null;
  const calls = (m.toolCalls || (j && j.toolCalls) || []).filter(Boolean);
  if (!calls.length) return null;
  return h('div', { class: 'tool-calls' }, calls.map((c, i) => h('div', { key: c.id || i, class: 'tool-card', role: 'group',
    'aria-label': 'Tool call ' + c.function.name },
    h('span', { class: 'hint' }, 'Calls '), h('code', { class: 'tool-name' }, c.function.name),
    h('pre', null, h('code', null, pretty(c.function.arguments))))));
}

function pretty(args) {
  try { return JSON.stringify(JSON.parse(args), null, 2); } catch { return args; }
}

export function MessageView({ m, busy, files, chatId, onCopy, onRegenerate, onContinue, onEdit, onSwitch, onRate }) {
  const [editing, setEditing] = useState(false);
  const [edit, setEdit] = useState(m.content);
  const [commenting, setCommenting] = useState(false);
  const [comment, setComment] = useState('');
  const body = useRef(null);
  const text = displayText(m);
  const { lost, ended, streaming, status } = liveState(m);
  const html = toSafeHtml(m.role === 'tool' ? '```\n' + text + '\n```' : asMarkdown(m, text));
  useEffect(() => enhance(body.current));

  const who = m.role === 'user' ? 'You' : m.role === 'assistant' ? (m.model || 'Assistant')
    : m.role === 'tool' ? 'Tool result' + (m.name ? ' (' + m.name + ')' : '') : m.role;
  return h('article', { class: 'msg ' + m.role + (streaming ? ' streaming' : ''), 'aria-label': who + ' message',
    'data-message-id': m.id, 'data-status': status },
    h('div', { class: 'msg-head' },
      h('span', { class: 'who' }, who),
      m.siblingIds && m.siblingIds.length > 1 && h('span', { class: 'branches' },
        h('button', { type: 'button', class: 'icon', 'aria-label': 'Previous branch', disabled: m.siblingIndex === 0,
          onClick: () => onSwitch(-1) }, '‹'),
        h('span', { class: 'branch-pos' }, (m.siblingIndex + 1) + '/' + m.siblingIds.length),
        h('button', { type: 'button', class: 'icon', 'aria-label': 'Next branch', disabled: m.siblingIndex >= m.siblingIds.length - 1,
          onClick: () => onSwitch(1) }, '›')),
      streaming && h('span', { class: 'status', role: 'status' }, 'writing…'),
      lost && h('span', { class: 'status error' }, 'interrupted (the server restarted); the text so far is kept'),
      status === 'stopped' && h('span', { class: 'status' }, 'stopped'),
      status === 'error' && !lost && h('span', { class: 'status error' }, 'error' + (m.usage && m.usage.error ? ': ' + m.usage.error
        : ended && ended.error ? ': ' + ended.error : ''))),
    h(Thinking, { m }),
    editing
      ? h('form', { class: 'edit', onSubmit: (e) => { e.preventDefault(); setEditing(false); onEdit(edit); } },
        h('textarea', { 'aria-label': 'Edit message', value: edit, rows: 3, onInput: (e) => setEdit(e.target.value) }),
        h('button', { type: 'submit', class: 'primary' }, 'Save and send'),
        h('button', { type: 'button', class: 'ghost', onClick: () => setEditing(false) }, 'Cancel'))
      : h('div', { class: 'msg-body md', ref: body, dangerouslySetInnerHTML: { __html: html } }),
    h(ToolCalls, { m }),
    h(Sources, { m }),
    files && files.length > 0 && h('ul', { class: 'attachments', 'aria-label': 'Attached files' }, files.map((f) =>
      h('li', { key: f.id }, h('button', { type: 'button', class: 'ghost small',
        onClick: () => download('/api/chats/' + chatId + '/files/' + f.id, f.name).catch(fail) }, '📎 ' + f.name)))),
    !editing && h('div', { class: 'msg-actions' },
      h('button', { type: 'button', class: 'small', onClick: onCopy }, 'Copy'),
      m.role === 'user' && h('button', { type: 'button', class: 'small', onClick: () => { setEdit(m.content); setEditing(true); } }, 'Edit'),
      m.role === 'assistant' && !streaming && h('button', { type: 'button', class: 'small', disabled: busy, onClick: onRegenerate }, 'Regenerate'),
      m.role === 'assistant' && !streaming && h('button', { type: 'button', class: 'small', disabled: busy, onClick: onContinue }, 'Continue'),
      m.role === 'assistant' && !streaming && h('button', { type: 'button', class: 'small', 'aria-pressed': m.rating === 1 ? 'true' : 'false',
        onClick: () => onRate(m.rating === 1 ? 0 : 1) }, 'Good answer'),
      m.role === 'assistant' && !streaming && h('button', { type: 'button', class: 'small', 'aria-pressed': m.rating === -1 ? 'true' : 'false',
        onClick: () => (m.rating === -1 ? onRate(0) : setCommenting(true)) }, 'Bad answer'),
      m.usage && m.usage.completionTokens !== undefined && h('span', { class: 'usage' },
        m.usage.completionTokens + ' tokens' + (m.usage.tokensPerSecond ? ', ' + Math.round(m.usage.tokensPerSecond) + ' tok/s' : ''))),
    commenting && h('form', { class: 'feedback', onSubmit: (e) => { e.preventDefault(); setCommenting(false); onRate(-1, comment.trim()); } },
      h('input', { 'aria-label': 'What was wrong?', placeholder: 'What was wrong? (optional)', value: comment, maxLength: 2000,
        onInput: (e) => setComment(e.target.value) }),
      h('button', { type: 'submit' }, 'Send feedback'),
      h('button', { type: 'button', class: 'ghost', onClick: () => setCommenting(false) }, 'Cancel')));
}
