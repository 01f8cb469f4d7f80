// One chat: the current branch of its message tree with its streaming answers, and what a person
// does with messages (send, stop, regenerate, edit into a new branch, switch branches, continue,
// rate, copy). The parts live beside it: chathead.js (title, model, settings), message.js (one
// message), composer.js (the message box), chatstart.js (a new chat's bots); jobs.js follows the
// answers' deltas.

import { h, useState, useEffect, useRef, navigate, fail, notify } from './ui.js';
import { get, post, patch, del, upload, ApiFailure } from './api.js';
import * as bus from './bus.js';
import * as jobs from './jobs.js';
import { copyText } from './markdown.js';
import { refreshChats } from './sidebar.js';
import { StartPersonalities } from './personality.js';
import { ChatHeader, ChatSettings } from './chathead.js';
import { MessageView, liveState, displayText, settled } from './message.js';
import { Composer } from './composer.js';
import { StartBots } from './chatstart.js';

// per-chat overrides (model and sampling options) live in this browser
const prefsKey = (chatId) => 'chat.prefs.' + (chatId || 'new');
function loadPrefs(chatId) {
  try { return JSON.parse(localStorage.getItem(prefsKey(chatId))) || {}; } catch { return {}; }
}
function savePrefs(chatId, prefs) { localStorage.setItem(prefsKey(chatId), JSON.stringify(prefs)); }

/** The chat, its current branch and its files, read from the server; streaming answers followed, ended ones settled in place. */
function useChat(chatId) {
  const [chat, setChat] = useState(null);
  const [messages, setMessages] = useState([]);
  const [files, setFiles] = useState({});
  const [loading, setLoading] = useState(!!chatId);
  const [, setTick] = useState(0);

  const load = async () => {
    if (!chatId) return;
    try {
      const [c, b, fl] = await Promise.all([get('/api/chats/' + chatId), get('/api/chats/' + chatId + '/branch'),
        get('/api/chats/' + chatId + '/files')]);
      setChat(c);
      setMessages(b.messages.map(settled));
      const byMessage = {};
      fl.items.forEach((f) => { if (f.messageId) (byMessage[f.messageId] ||= []).push(f); });
      setFiles(byMessage);
      document.title = c.title + ' · Chat';
      for (const m of b.messages) {
        if (m.status === 'streaming' && m.jobId) jobs.follow(m.jobId).catch(fail);
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
    if (!chatId) document.title = 'New chat · Chat';
    load();
  }, [chatId]);

  // every streamed delta re-renders; an answer that ended keeps what it streamed (no second read)
  useEffect(() => jobs.onJobs(() => {
    setTick((t) => t + 1);
    setMessages((ms) => {
      const next = ms.map(settled);
      return next.some((m, i) => m !== ms[i]) ? next : ms;
    });
  }), []);

  // after a reconnect (network loss, server restart) read the chat again and re-attach to its answers
  useEffect(() => bus.onReconnect(() => load()), [chatId]);

  // renamed (or otherwise changed) elsewhere on the page: the header and the tab follow
  useEffect(() => {
    const changed = (e) => { if (e.detail && e.detail.id === chatId) load(); };
    window.addEventListener('chat:changed', changed);
    return () => window.removeEventListener('chat:changed', changed);
  }, [chatId]);

  return { chat, messages, files, loading, load };
}

export function ChatView({ chatId, models, profile }) {
  const { chat, messages, files, loading, load } = useChat(chatId);
  const [prefs, setPrefs] = useState(loadPrefs(chatId));
  const [showSettings, setShowSettings] = useState(false);
  const [sending, setSending] = useState(false);
  const [web, setWeb] = useState(false);
  const [searching, setSearching] = useState(null);
  const searchChat = useRef(null);
  const list = useRef(null);
  const stick = useRef(true);

  useEffect(() => { if (chat) setWeb(!!chat.webSearch); }, [chat]); // the chat's default, again after each read

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

  /** Sends a user message (under the current leaf, or under `parentId` when given: an edit), with files to attach. */
  const send = async (content, parentId, attachments = []) => {
    if (!content.trim()) return false;
    setSending(true);
    let created = null; // a chat made for this first message: it goes again when the message cannot be sent
    try {
      let id = chatId;
      if (!id) {
        const title = content.trim().split('\n')[0].slice(0, 60) || 'New chat';
        const c = await post('/api/chats', { title, ...(prefs.systemMessage ? { systemMessage: prefs.systemMessage } : {}) });
        id = c.id;
        created = id;
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
      }
      const r = await bus.generate(req);
      jobs.started(r.jobId);
      if (id !== chatId) {
        refreshChats();
        navigate('/c/' + id);
      } else {
        await load();
        refreshChats();
      }
      return true;
    } catch (e) {
      fail(e);
      if (created) {
        await del('/api/chats/' + created).catch(() => {});
        localStorage.removeItem(prefsKey(created));
        savePrefs(null, prefs); // the new chat's settings wait for the next try
        refreshChats();
      }
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

  /** A new chat with a bot or a personality, optionally asking one of its starters at once. */
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

  useEffect(() => {
    const onEsc = (e) => { if (e.key === 'Escape' && running) stop(); };
    window.addEventListener('keydown', onEsc);
    return () => window.removeEventListener('keydown', onEsc);
  }, [running && running.jobId]);

  const model = prefs.model || (profile && profile.preferredModel) || '';
  const setPref = (p) => { setPrefs(p); savePrefs(chatId, p); };

  return h('section', { class: 'chat', 'aria-label': 'Chat' },
    h(ChatHeader, { chat, chatId, models, model, onModel: (mo) => setPref({ ...prefs, model: mo }),
      settingsOpen: showSettings, onToggleSettings: () => setShowSettings(!showSettings) }),
    showSettings && h(ChatSettings, { chat, chatId, prefs, setPref, onSaved: load }),
    h('div', { class: 'messages', ref: list, role: 'log', 'aria-label': 'Messages', 'aria-busy': loading ? 'true' : 'false',
      onScroll: (e) => { const el = e.target; stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40; } },
      !loading && messages.length === 0 && h('p', { class: 'empty' }, 'Send a message to start.'),
      !chatId && h(StartBots, { onStart: (bot, starter) => startWith({ botId: bot.id }, starter) }),
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
    h(Composer, { chatId, running, sending, searching, web, onWeb: setWeb, onStop: stop,
      onSend: (text, attachments) => send(text, undefined, attachments) }));
}
