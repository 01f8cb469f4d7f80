// One chat: the current branch of its message tree, streaming answers, and what a person does with
// messages (send, stop, regenerate, edit into a new branch, switch branches, continue, rate, copy).

import { h, useState, useEffect, useRef, navigate, fail, notify, Field, SamplingFields } from './ui.js';
import { get, post, patch, download, imageUrl, upload, ApiFailure } from './api.js';
import * as bus from './bus.js';
import * as jobs from './jobs.js';
import { toSafeHtml, enhance, copyText } from './markdown.js';
import { refreshChats } from './sidebar.js';
import { ShareControl } from './share.js';
import { FeedbackControl } from './support.js';
import { StartPersonalities } from './personality.js';

// per-chat overrides (model and sampling options) live in this browser
const prefsKey = (chatId) => 'chat.prefs.' + (chatId || 'new');
function loadPrefs(chatId) {
  try { return JSON.parse(localStorage.getItem(prefsKey(chatId))) || {}; } catch { return {}; }
}
function savePrefs(chatId, prefs) { localStorage.setItem(prefsKey(chatId), JSON.stringify(prefs)); }

// drafts survive a reload and a trip to the login page
const draftKey = (chatId) => 'chat.draft.' + (chatId || 'new');

export function ChatView({ chatId, models, profile }) {
  const [chat, setChat] = useState(null);
  const [messages, setMessages] = useState([]);
  const [loading, setLoading] = useState(!!chatId);
  const [, setTick] = useState(0);
  const [prefs, setPrefs] = useState(loadPrefs(chatId));
  const [showSettings, setShowSettings] = useState(false);
  const [draft, setDraft] = useState(localStorage.getItem(draftKey(chatId)) || '');
  const [sending, setSending] = useState(false);
  const [attachments, setAttachments] = useState([]);
  const [web, setWeb] = useState(false);
  const [searching, setSearching] = useState(null);
  const searchChat = useRef(null);
  const [files, setFiles] = useState({});
  const list = useRef(null);
  const stick = useRef(true);
  const reloadTimer = useRef(null);

  const load = async () => {
    if (!chatId) return;
    try {
      const [c, b, fl] = await Promise.all([get('/api/chats/' + chatId), get('/api/chats/' + chatId + '/branch'),
        get('/api/chats/' + chatId + '/files')]);
      setChat(c);
      setWeb(!!c.webSearch);
      setMessages(b.messages);
      const byMessage = {};
      fl.items.forEach((f) => { if (f.messageId) (byMessage[f.messageId] ||= []).push(f); });
      setFiles(byMessage);
      document.title = c.title + ' · Chat';
      for (const m of b.messages) {
        if (m.status === 'streaming' && m.jobId) {
          jobs.follow(m.jobId).catch(fail);
        }
      }
    } catch (e) {
      if (e instanceof ApiFailure && e.status === 404) {
        notify('That chat does not exist (or is not yours).');
        navigate('/', true);
      } else fail(e);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    setChat(null);
    setMessages([]);
    setLoading(!!chatId);
    if (!chatId) document.title = 'New chat · Chat';
    load();
  }, [chatId]);

  // re-render on every streamed delta; read the branch again (once) when one of its answers ends
  const reloaded = useRef(new Set());
  useEffect(() => jobs.onJobs(() => {
    setTick((t) => t + 1);
    const ended = messages.filter((m) => m.status === 'streaming' && m.jobId && jobs.job(m.jobId) && jobs.job(m.jobId).done
      && !reloaded.current.has(m.jobId));
    ended.forEach((m) => reloaded.current.add(m.jobId));
    if (ended.length && !reloadTimer.current) {
      reloadTimer.current = setTimeout(() => { reloadTimer.current = null; load(); }, 150);
    }
  }), [messages, chatId]);

  useEffect(() => { localStorage.setItem(draftKey(chatId), draft); }, [draft, chatId]);

  // after a reconnect (network loss, server restart) read the chat again and re-attach to its answers
  useEffect(() => bus.onReconnect(() => load()), [chatId]);

  // follow the bottom while streaming, unless the person scrolled up
  useEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });

  const running = messages.find((m) => m.jobId && liveState(m).streaming);

  const request = () => {
    const out = {};
    if (prefs.model) out.model = prefs.model;
    if (prefs.options && Object.keys(prefs.options).length) out.options = prefs.options;
    return out;
  };

  /** Sends a user message (under the current leaf, or under `parentId` when given: an edit). */
  const send = async (content, parentId) => {
    if (!content.trim()) return false;
    setSending(true);
    try {
      let id = chatId;
      if (!id) {
        const title = content.trim().split('\n')[0].slice(0, 60) || 'New chat';
        const c = await post('/api/chats', { title, ...(prefs.systemMessage ? { systemMessage: prefs.systemMessage } : {}) });
        id = c.id;
        const p = { ...prefs };
        delete p.systemMessage;
        savePrefs(id, p);
        localStorage.removeItem(prefsKey(null));
      }
      const req = { chatId: id, content, ...request() };
      if (parentId !== undefined) req.parentId = parentId;
      if (web) req.webSearch = true;
      searchChat.current = id;
      if (parentId === undefined && attachments.length) {
        const uploaded = [];
        for (const f of attachments) {
          uploaded.push((await upload('/api/chats/' + id + '/files?name=' + encodeURIComponent(f.name), f, 'POST')).id);
        }
        req.fileIds = uploaded;
        setAttachments([]);
      }
      const r = await bus.generate(req);
      jobs.started(r.jobId);
      if (id !== chatId) {
        localStorage.removeItem(draftKey(null));
        refreshChats();
        navigate('/c/' + id);
      } else {
        await load();
        refreshChats();
      }
      return true;
    } catch (e) {
      fail(e);
      return false;
    } finally {
      setSending(false);
      setSearching(null);
      searchChat.current = null;
    }
  };

  // a web search's progress while the answer has not started yet (told over the bridge for the chat)
  useEffect(() => bus.onEvent((ev) => {
    if (ev && ev.type === 'search' && ev.chatId === searchChat.current) {
      setSearching(ev.event === 'searching' ? 'Searching the web for “' + ev.query + '”…'
        : ev.event === 'reading' ? 'Reading ' + ev.urls.length + ' pages…'
          : ev.event === 'sources' ? 'Found ' + ev.sources.length + ' sources' : 'Web search: ' + ev.message);
    }
  }), []);

  const submit = async () => {
    const text = draft;
    if (await send(text)) setDraft('');
  };

  /** A new chat with a bot (its prompt, model and defaults), optionally asking one of its starters at once. */
  const startWithBot = (bot, starter) => startWith({ botId: bot.id }, starter);
  const startWith = async (choice, starter) => {
    try {
      const c = await post('/api/chats', choice);
      refreshChats();
      if (starter) {
        const r = await bus.generate({ chatId: c.id, content: starter });
        jobs.started(r.jobId);
      }
      navigate('/c/' + c.id);
    } catch (e) { fail(e); }
  };

  const stop = async () => {
    if (!running) return;
    try {
      await bus.stop(running.jobId);
      await load();
    } catch (e) { fail(e); }
  };

  const regenerate = async (m) => {
    try {
      const r = await post('/api/chats/' + chatId + '/messages/' + m.id + '/regenerate', request());
      jobs.started(r.jobId);
      await jobs.follow(r.jobId, '');
      await load();
    } catch (e) { fail(e); }
  };

  const continueAnswer = async (m) => {
    try {
      const r = await post('/api/chats/' + chatId + '/messages/' + m.id + '/continue', request());
      await jobs.follow(r.jobId, m.content);
      await load();
    } catch (e) { fail(e); }
  };

  const switchBranch = async (m, delta) => {
    const target = m.siblingIds[m.siblingIndex + delta];
    if (!target) return;
    try {
      await patch('/api/chats/' + chatId, { currentLeafId: target });
      await load();
    } catch (e) { fail(e); }
  };

  const rate = async (m, value, comment) => {
    try {
      await post('/api/chats/' + chatId + '/messages/' + m.id + '/rating', comment ? { value, comment } : { value });
      await load();
      if (value !== 0) notify('Thanks for the feedback', 'info');
    } catch (e) { fail(e); }
  };

  const onKey = (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && running) {
      e.preventDefault();
      stop();
    }
  };

  useEffect(() => {
    const onEsc = (e) => { if (e.key === 'Escape' && running) stop(); };
    window.addEventListener('keydown', onEsc);
    return () => window.removeEventListener('keydown', onEsc);
  }, [running && running.jobId]);

  const model = prefs.model || (profile && profile.preferredModel) || '';
  const setPref = (p) => { setPrefs(p); savePrefs(chatId, p); };

  return h('section', { class: 'chat', 'aria-label': 'Chat' },
    h('header', { class: 'chat-head' },
      h('h1', null, chat ? chat.title : 'New chat'),
      h('label', { class: 'model-pick' }, h('span', { class: 'sr-only' }, 'Model'),
        h('select', { 'aria-label': 'Model', value: model, onChange: (e) => setPref({ ...prefs, model: e.target.value || undefined }) },
          h('option', { value: '' }, 'Default model'),
          (models || []).filter((mo) => !mo.name.endsWith('/*')).map((mo) => h('option', { key: mo.name, value: mo.name, disabled: mo.status !== 'ready' },
            mo.name + (mo.status === 'ready' ? '' : mo.status === 'loading' ? ' (' + (mo.progress || 'loading…') + ')' : ' (error: ' + (mo.error || 'unavailable') + ')'))))),
      h('button', { type: 'button', class: 'ghost', 'aria-expanded': showSettings ? 'true' : 'false',
        onClick: () => setShowSettings(!showSettings) }, 'Chat settings'),
      chatId && h(ShareControl, { chatId }),
      chatId && h(FeedbackControl, { chatId }),
      chatId && h(ExportMenu, { chatId, title: chat ? chat.title : 'chat' })),
    showSettings && h(ChatSettings, { chat, chatId, prefs, setPref, onSaved: load }),
    h('div', { class: 'messages', ref: list, role: 'log', 'aria-label': 'Messages', 'aria-busy': loading ? 'true' : 'false',
      onScroll: (e) => { const el = e.target; stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40; } },
      !loading && messages.length === 0 && h('p', { class: 'empty' }, 'Send a message to start.'),
      !chatId && h(StartBots, { onStart: (bot, starter) => startWithBot(bot, starter) }),
      !chatId && messages.length === 0 && h(StartPersonalities, { onStart: (p, starter) => startWith({ personalityId: p.id }, starter) }),
      messages.filter((m) => m.role !== 'system').map((m) => h(MessageView, {
        key: m.id, m, busy: !!running, files: files[m.id] || [], chatId,
        onCopy: () => copyText(displayText(m)).then(() => notify('Copied', 'info')),
        onRegenerate: () => regenerate(m),
        onContinue: () => continueAnswer(m),
        onEdit: (text) => send(text, m.parentId),
        onSwitch: (d) => switchBranch(m, d),
        onRate: (v, c) => rate(m, v, c),
      }))),
    searching && h('p', { class: 'hint search-progress', role: 'status' }, searching),
    attachments.length > 0 && h('ul', { class: 'attachments', 'aria-label': 'Files to send' }, attachments.map((f, i) =>
      h('li', { key: i }, '📎 ' + f.name,
        h('button', { type: 'button', class: 'icon', 'aria-label': 'Remove ' + f.name,
          onClick: () => setAttachments(attachments.filter((x) => x !== f)) }, '×')))),
    h('form', { class: 'composer', onSubmit: (e) => { e.preventDefault(); submit(); } },
      h('textarea', { 'aria-label': 'Message', placeholder: 'Message (Enter sends, Shift+Enter new line, Esc stops)',
        value: draft, rows: 2, onInput: (e) => setDraft(e.target.value), onKeyDown: onKey }),
      h('div', { class: 'composer-buttons' },
        h('label', { class: 'web-toggle', title: 'Ground the answer in a web search, with sources' },
          h('input', { type: 'checkbox', checked: web, onChange: (e) => setWeb(e.target.checked) }), ' Search the web'),
        h('label', { class: 'small-file attach', title: 'Text, Markdown, CSV, JSON, code, PDF or images' }, 'Attach',
          h('input', { type: 'file', multiple: true, 'aria-label': 'Attach files',
            onChange: (e) => { const fs = [...e.target.files]; e.target.value = ''; setAttachments([...attachments, ...fs]); } })),
        running && h('button', { type: 'button', class: 'danger', onClick: stop }, 'Stop'),
        h('button', { type: 'submit', class: 'primary', disabled: sending || !draft.trim() }, 'Send'))));
}

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
function liveState(m) {
  const j = m.status === 'streaming' && m.jobId ? jobs.job(m.jobId) : null;
  const lost = !!(j && j.lost);
  const ended = j && j.done ? j.done : null;
  const streaming = m.status === 'streaming' && !lost && !ended;
  return { lost, ended, streaming, status: lost ? 'error' : ended ? ended.status || 'done' : m.status };
}

/** What a message shows: the saved text, or while it streams, what the live job has. */
function displayText(m) {
  if (m.status === 'streaming' && m.jobId) {
    const j = jobs.job(m.jobId);
    if (j && !j.lost) {
      const t = jobs.text(j);
      return t.length >= m.content.length || j.parts.length ? t : m.content;
    }
  }
  return m.content;
}

function MessageView({ m, busy, files, chatId, onCopy, onRegenerate, onContinue, onEdit, onSwitch, onRate }) {
  const [editing, setEditing] = useState(false);
  const [edit, setEdit] = useState(m.content);
  const [commenting, setCommenting] = useState(false);
  const [comment, setComment] = useState('');
  const body = useRef(null);
  const text = displayText(m);
  const { lost, ended, streaming, status } = liveState(m);
  const html = toSafeHtml(text);
  useEffect(() => enhance(body.current));

  const who = m.role === 'user' ? 'You' : m.role === 'assistant' ? (m.model || 'Assistant') : m.role;
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
    editing
      ? h('form', { class: 'edit', onSubmit: (e) => { e.preventDefault(); setEditing(false); onEdit(edit); } },
        h('textarea', { 'aria-label': 'Edit message', value: edit, rows: 3, onInput: (e) => setEdit(e.target.value) }),
        h('button', { type: 'submit', class: 'primary' }, 'Save and send'),
        h('button', { type: 'button', class: 'ghost', onClick: () => setEditing(false) }, 'Cancel'))
      : h('div', { class: 'msg-body md', ref: body, dangerouslySetInnerHTML: { __html: html } }),
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

/** The bots featured on the start page, each with its starter prompts. */
function StartBots({ onStart }) {
  const [bots, setBots] = useState([]);
  useEffect(() => { get('/api/bots/start').then((r) => setBots(r.items)).catch(fail); }, []);
  if (!bots.length) return null;
  return h('div', { class: 'start-bots', role: 'group', 'aria-label': 'Start with a bot' },
    bots.map((b) => h('div', { key: b.id, class: 'panel bot-card' },
      b.image && h(BotImage, { path: b.image, name: b.name }),
      h('strong', null, b.name), b.description && h('p', { class: 'hint' }, b.description),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', onClick: () => onStart(b) }, 'Chat with ' + b.name),
        (b.starters || []).map((s) => h('button', { type: 'button', class: 'small', key: s, onClick: () => onStart(b, s) }, s))))));
}

/** A bot's picture, fetched with the session (images are not public). */
function BotImage({ path, name }) {
  const [src, setSrc] = useState(null);
  useEffect(() => {
    let url = null;
    imageUrl(path).then((u) => { url = u; setSrc(u); }).catch(() => {});
    return () => { if (url) URL.revokeObjectURL(url); };
  }, [path]);
  return src ? h('img', { class: 'bot-image', src, alt: name }) : null;
}

function ChatSettings({ chat, chatId, prefs, setPref, onSaved }) {
  const [system, setSystem] = useState(chat ? chat.systemMessage || '' : prefs.systemMessage || '');
  const [personas, setPersonas] = useState([]);
  useEffect(() => { get('/api/personas?limit=100').then((p) => setPersonas(p.items)).catch(fail); }, []);
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
