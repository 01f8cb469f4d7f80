// The personalities catalog: start a chat as one (by language), and pick one as the default for new chats.

import { h, useState, useEffect, fail } from './ui.js';
import { get } from './api.js';

let cache = null;
export function personalities() {
  if (!cache) cache = get('/api/personalities').then((r) => r.items).catch((e) => { cache = null; throw e; });
  return cache;
}

/** On a new chat: the catalog of one language, each with its starters. */
export function StartPersonalities({ onStart }) {
  const [all, setAll] = useState([]);
  const [language, setLanguage] = useState((navigator.language || 'en').slice(0, 2));
  useEffect(() => { personalities().then(setAll).catch(fail); }, []);
  if (!all.length) return null;
  const languages = [...new Set(all.map((p) => p.language))].sort();
  const lang = languages.includes(language) ? language : languages[0];
  const shown = all.filter((p) => p.language === lang);
  return h('div', { class: 'start-bots', role: 'group', 'aria-label': 'Start with a personality' },
    h('label', { class: 'field inline-field' }, h('span', null, 'Personalities in'),
      h('select', { 'aria-label': 'Personality language', value: lang, onChange: (e) => setLanguage(e.target.value) },
        languages.map((l) => h('option', { key: l, value: l }, l)))),
    shown.map((p) => h('div', { key: p.id, class: 'panel bot-card' },
      h('strong', null, p.name), h('span', { class: 'badge' }, p.category),
      p.description && h('p', { class: 'hint' }, p.description),
      h('div', { class: 'row' },
        h('button', { type: 'button', onClick: () => onStart(p) }, 'Chat as ' + p.name),
        (p.starters || []).map((s) => h('button', { type: 'button', class: 'small', key: s, onClick: () => onStart(p, s) }, s))))));
}

/** A select of the catalog, grouped by language and category. */
export function PersonalitySelect({ value, onChange, label }) {
  const [all, setAll] = useState([]);
  useEffect(() => { personalities().then(setAll).catch(fail); }, []);
  const groups = {};
  all.forEach((p) => { (groups[p.language + ' · ' + p.category] ||= []).push(p); });
  return h('label', { class: 'field' }, h('span', null, label),
    h('select', { value: value || '', onChange: (e) => onChange(e.target.value || null) },
      h('option', { value: '' }, 'None'),
      Object.keys(groups).sort().map((g) => h('optgroup', { key: g, label: g },
        groups[g].map((p) => h('option', { key: p.id, value: p.id }, p.name))))));
}
