// The message box: the draft (kept per chat in this browser, through a reload or a trip to the
// login page), files to attach, the web search toggle, and Send / Stop. Enter sends, Shift+Enter
// makes a new line, Esc stops the running answer.

import { h, useState, useEffect } from './ui.js';
import { features } from './system.js';

const draftKey = (chatId) => 'chat.draft.' + (chatId || 'new');

/**
 * {@code onSend(text, files)} sends (resolving true when it did: the draft and the files are then
 * cleared); {@code searching}: a web search's progress to show above the box.
 */
export function Composer({ chatId, running, sending, searching, web, onWeb, onSend, onStop }) {
  const [draft, setDraft] = useState(localStorage.getItem(draftKey(chatId)) || '');
  const [attachments, setAttachments] = useState([]);
  const [searchable, setSearchable] = useState(false); // "Search the web" only where a provider is configured
  useEffect(() => { localStorage.setItem(draftKey(chatId), draft); }, [draft, chatId]);
  useEffect(() => { features().then((f) => setSearchable(!!f.webSearch)); }, []);

  const submit = async () => {
    if (await onSend(draft, attachments)) {
      setDraft('');
      setAttachments([]);
    }
  };
  const onKey = (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && running) {
      e.preventDefault();
      onStop();
    }
  };

  return [
    searching && h('p', { key: 'search', class: 'hint search-progress', role: 'status' }, searching),
    attachments.length > 0 && h('ul', { key: 'files', class: 'attachments', 'aria-label': 'Files to send' }, attachments.map((f, i) =>
      h('li', { key: i }, '📎 ' + f.name,
        h('button', { type: 'button', class: 'icon', 'aria-label': 'Remove ' + f.name,
          onClick: () => setAttachments(attachments.filter((x) => x !== f)) }, '×')))),
    h('form', { key: 'form', class: 'composer', onSubmit: (e) => { e.preventDefault(); submit(); } },
      h('textarea', { 'aria-label': 'Message', placeholder: 'Message (Enter sends, Shift+Enter new line, Esc stops)',
        value: draft, rows: 2, onInput: (e) => setDraft(e.target.value), onKeyDown: onKey }),
      h('div', { class: 'composer-buttons' },
        searchable && h('label', { class: 'web-toggle', title: 'Ground the answer in a web search, with sources' },
          h('input', { type: 'checkbox', checked: web, onChange: (e) => onWeb(e.target.checked) }), ' Search the web'),
        h('label', { class: 'small-file attach', title: 'Text, Markdown, CSV, JSON, code, PDF or images' }, 'Attach',
          h('input', { type: 'file', multiple: true, 'aria-label': 'Attach files',
            onChange: (e) => { const fs = [...e.target.files]; e.target.value = ''; setAttachments([...attachments, ...fs]); } })),
        running && h('button', { type: 'button', class: 'danger', onClick: onStop }, 'Stop'),
        h('button', { type: 'submit', class: 'primary', disabled: sending || !draft.trim() }, 'Send'))),
  ];
}
