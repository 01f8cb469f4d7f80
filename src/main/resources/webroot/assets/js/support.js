// Feedback about a chat and tickets: the user's controls in a chat and in Settings, the admins' lists.

import { h, useState, useEffect, fail, notify, fmtTime, useList } from './ui.js';
import { get, post, patch } from './api.js';

/** In a chat: good or bad with a comment, and "report a problem" (a ticket with the current branch). */
export function FeedbackControl({ chatId }) {
  const [open, setOpen] = useState(false);
  const [rating, setRating] = useState(0);
  const [comment, setComment] = useState('');
  const [subject, setSubject] = useState('');
  const [description, setDescription] = useState('');
  useEffect(() => {
    if (!open) return;
    get('/api/chats/' + chatId + '/feedback').then((f) => { setRating(f.rating); setComment(f.comment || ''); })
      .catch((e) => { if (e.status !== 404) fail(e); });
  }, [open, chatId]);
  const rate = (value) => post('/api/chats/' + chatId + '/feedback', { rating: value, comment: comment || null })
    .then((f) => { setRating(f.rating); notify('Thanks for the feedback', 'info'); }, fail);
  const file = (e) => {
    e.preventDefault();
    post('/api/chats/' + chatId + '/tickets', { subject: subject.trim(), description: description.trim() }).then(() => {
      setSubject('');
      setDescription('');
      notify('Ticket filed; follow it in Settings → Tickets', 'info');
    }, fail);
  };
  return h('span', { class: 'share' },
    h('button', { type: 'button', class: 'ghost', 'aria-expanded': open ? 'true' : 'false', onClick: () => setOpen(!open) }, 'Feedback'),
    open && h('div', { class: 'panel share-panel', role: 'group', 'aria-label': 'Feedback on this chat' },
      h('p', { class: 'hint' }, 'How was this chat as a whole?'),
      h('textarea', { 'aria-label': 'Feedback comment', rows: 2, placeholder: 'Comment (optional)', value: comment,
        onInput: (e) => setComment(e.target.value) }),
      h('div', { class: 'row' },
        h('button', { type: 'button', 'aria-pressed': rating === 1 ? 'true' : 'false', onClick: () => rate(1) }, '👍 Good chat'),
        h('button', { type: 'button', 'aria-pressed': rating === -1 ? 'true' : 'false', onClick: () => rate(-1) }, '👎 Bad chat')),
      h('form', { onSubmit: file, class: 'stack', 'aria-label': 'Report a problem' },
        h('h3', null, 'Report a problem'),
        h('input', { 'aria-label': 'Ticket subject', placeholder: 'Subject', maxLength: 200, value: subject,
          onInput: (e) => setSubject(e.target.value) }),
        h('textarea', { 'aria-label': 'Ticket description', rows: 3, placeholder: 'What went wrong? (the chat is attached)',
          value: description, onInput: (e) => setDescription(e.target.value) }),
        h('button', { type: 'submit', disabled: !subject.trim() || !description.trim() }, 'File ticket'))));
}

/** One ticket, opened: the snapshot it is about, the replies, and a reply box. */
function TicketDetail({ base, id, onChange, admin }) {
  const [t, setT] = useState(null);
  const [reply, setReply] = useState('');
  const load = () => get(base + '/' + id).then(setT).catch(fail);
  useEffect(() => { load(); }, [id]);
  if (!t) return h('p', { class: 'hint' }, 'Loading…');
  const send = (e) => {
    e.preventDefault();
    post(base + '/' + id + '/replies', { body: reply.trim() }).then((nt) => { setT(nt); setReply(''); onChange(); }, fail);
  };
  const close = () => patch('/api/admin/tickets/' + id, { status: 'closed' }).then((nt) => { setT(nt); onChange(); }, fail);
  return h('div', { class: 'ticket', role: 'group', 'aria-label': 'Ticket ' + t.subject },
    h('p', null, t.description),
    h('details', null, h('summary', null, 'The chat “' + t.chatTitle + '” (' + t.messages.length + ' messages)'),
      t.messages.map((m, i) => h('p', { key: i, class: 'snap' }, h('strong', null, m.role + ': '), m.content))),
    t.replies.map((r) => h('p', { key: r.id, class: 'reply' + (r.fromAdmin ? ' admin' : '') },
      h('strong', null, (r.fromAdmin ? 'Support' : (r.author || 'User')) + ' · ' + fmtTime(r.createdAt) + ': '), r.body)),
    h('form', { onSubmit: send, class: 'inline' },
      h('input', { 'aria-label': 'Reply', placeholder: 'Reply', value: reply, onInput: (e) => setReply(e.target.value) }),
      h('button', { type: 'submit', disabled: !reply.trim() }, 'Send reply'),
      admin && t.status !== 'closed' && h('button', { type: 'button', onClick: close }, 'Close ticket')));
}

/** A list of tickets (the user's own, or everyone's for admins) with a status filter. */
export function Tickets({ admin }) {
  const base = admin ? '/api/admin/tickets' : '/api/tickets';
  const [status, setStatus] = useState('');
  const [items, load] = useList(base + '?limit=100' + (status ? '&status=' + status : ''));
  const [openId, setOpenId] = useState(null);
  return h('div', { class: 'panel', role: 'group', 'aria-label': admin ? 'All tickets' : 'Your tickets' },
    h('h2', null, admin ? 'All tickets' : 'Your tickets'),
    h('select', { 'aria-label': 'Ticket status', value: status, onChange: (e) => setStatus(e.target.value) },
      h('option', { value: '' }, 'all'), h('option', { value: 'open' }, 'open'), h('option', { value: 'answered' }, 'answered'),
      h('option', { value: 'closed' }, 'closed')),
    items.length === 0 && h('p', { class: 'hint' }, 'No tickets.'),
    h('ul', { class: 'rows' }, items.map((t) => h('li', { key: t.id },
      h('button', { type: 'button', class: 'ghost', 'aria-expanded': openId === t.id ? 'true' : 'false',
        onClick: () => setOpenId(openId === t.id ? null : t.id) }, t.subject),
      h('span', { class: 'badge' }, t.status), admin && h('span', { class: 'hint' }, t.username),
      h('span', { class: 'hint' }, fmtTime(t.updatedAt)),
      openId === t.id && h(TicketDetail, { base, id: t.id, onChange: load, admin })))));
}

/** Admins: everyone's feedback about chats, filtered by rating. */
export function FeedbackList() {
  const [rating, setRating] = useState('');
  const [items] = useList('/api/admin/feedback?limit=100' + (rating ? '&rating=' + rating : ''));
  return h('div', { class: 'panel', role: 'group', 'aria-label': 'Chat feedback' },
    h('h2', null, 'Chat feedback'),
    h('select', { 'aria-label': 'Feedback rating', value: rating, onChange: (e) => setRating(e.target.value) },
      h('option', { value: '' }, 'all'), h('option', { value: '1' }, 'good'), h('option', { value: '-1' }, 'bad')),
    items.length === 0 ? h('p', { class: 'hint' }, 'No feedback yet.')
      : h('table', null, h('thead', null, h('tr', null, h('th', null, 'Rating'), h('th', null, 'Chat'), h('th', null, 'User'),
        h('th', null, 'Comment'), h('th', null, 'When'))),
      h('tbody', null, items.map((f) => h('tr', { key: f.id },
        h('td', null, f.rating > 0 ? '👍 good' : '👎 bad'), h('td', null, f.chatTitle), h('td', null, f.username),
        h('td', null, f.comment || ''), h('td', null, fmtTime(f.updatedAt)))))));
}
