// Markdown to safe HTML: marked renders, DOMPurify removes anything that could run (scripts, event
// handlers, javascript: links), highlight.js colours code blocks, each of which gets a Copy button.

/* global marked, DOMPurify, hljs */

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

// raw HTML inside a message is shown as the text it is, never as markup
marked.use({ renderer: { html: (token) => escapeHtml(token.text !== undefined ? token.text : token) } });

export function toSafeHtml(text) {
  const html = marked.parse(text || '', { gfm: true, breaks: true, async: false });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'input', 'button'],
    FORBID_ATTR: ['style'] });
}

/** After the sanitized HTML is in the page: highlight code and add copy buttons (DOM nodes, never HTML strings). */
export function enhance(root) {
  if (!root) return;
  root.querySelectorAll('pre > code').forEach((code) => {
    const pre = code.parentElement;
    if (!code.dataset.highlighted && window.hljs) {
      try { hljs.highlightElement(code); } catch { /* unknown language: leave it plain */ }
    }
    if (!pre.querySelector(':scope > .copy-code')) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'copy-code';
      b.textContent = 'Copy code';
      b.setAttribute('aria-label', 'Copy code');
      b.addEventListener('click', () => copyText(code.textContent).then(() => flash(b, 'Copied')));
      pre.appendChild(b);
    }
  });
  root.querySelectorAll('a[href]').forEach((a) => { a.target = '_blank'; a.rel = 'noopener noreferrer'; });
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const t = document.createElement('textarea');
    t.value = text;
    t.setAttribute('readonly', '');
    t.style.position = 'fixed';
    t.style.opacity = '0';
    document.body.appendChild(t);
    t.select();
    document.execCommand('copy');
    t.remove();
  }
}

function flash(button, text) {
  const old = button.textContent;
  button.textContent = text;
  setTimeout(() => { button.textContent = old; }, 1200);
}
