// The start page of a new chat: the bots an admin featured, each with its starter prompts.

import { h, useState, useEffect, fail } from './ui.js';
import { get, imageUrl } from './api.js';

/** The bots featured on the start page, each with its starter prompts. */
export function StartBots({ onStart }) {
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
