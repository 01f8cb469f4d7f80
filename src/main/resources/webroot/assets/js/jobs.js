// Every running answer of this user that the page knows of, filled from the bridge's numbered
// deltas: the one module that follows a job. Deltas are stored by sequence number and the text is
// the unbroken run from seq 1, so a replay after a reload or reconnect that overlaps the live stream
// gives no gap and no duplicate; after a reconnect every unfinished job is re-attached from there.

import * as bus from './bus.js';

const jobs = new Map();   // jobId -> {prefix, parts: [], done: null | {...}, finishedAt}
const listeners = new Set();
let scheduled = false;

export function onJobs(l) { listeners.add(l); return () => listeners.delete(l); }

function changed() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    listeners.forEach((l) => l());
  });
}

function entry(jobId) {
  let j = jobs.get(jobId);
  if (!j) {
    j = { prefix: '', parts: [], done: null, finishedAt: 0 };
    jobs.set(jobId, j);
  }
  return j;
}

bus.onEvent((ev) => {
  if (!ev || !ev.jobId) return;
  const j = entry(ev.jobId);
  if (ev.type === 'delta' && ev.seq >= 1 && j.parts[ev.seq - 1] === undefined) {
    j.parts[ev.seq - 1] = ev.text;
    if (ev.reasoning) j.reasoning = (j.reasoning || '') + ev.reasoning; // a thinking model's reasoning, apart
    if (ev.toolCalls) {
      // tool calls in pieces, as OpenAI streams them: name first, then the arguments
      j.toolCalls ||= [];
      for (const p of ev.toolCalls) {
        const c = (j.toolCalls[p.index || 0] ||= { id: p.id, type: 'function', function: { name: '', arguments: '' } });
        if (p.id) c.id = p.id;
        if (p.function && p.function.name) c.function.name += p.function.name;
        if (p.function && p.function.arguments) c.function.arguments += p.function.arguments;
      }
    }
    if (ev.search) {
      // a web search's progress before the text: the sources it found, or why it found none
      j.search = ev.search;
      if (ev.search.event === 'sources') j.sources = ev.search.sources;
      if (ev.search.event === 'search_error') j.searchError = ev.search.message;
    }
  } else if (ev.type === 'done' && !j.done) {
    j.done = ev;
    j.finishedAt = Date.now();
  }
  changed();
  // forget finished jobs after a while (the saved message holds their text)
  for (const [id, x] of jobs) if (x.done && Date.now() - x.finishedAt > 120000) jobs.delete(id);
});

// (re)connected: every answer still running asks for what it missed
bus.onOpen(() => {
  for (const [id, j] of jobs) {
    if (!j.done && !j.lost) bus.attach(id, contiguous(j)).catch(() => {});
  }
});

export function job(jobId) {
  return jobs.get(jobId) || null;
}

/** The text streamed so far: the prefix (what a continued answer had) and the unbroken run of deltas. */
export function text(j) {
  let s = '';
  for (let i = 0; i < j.parts.length && j.parts[i] !== undefined; i++) s += j.parts[i];
  return j.prefix + s;
}

/** Number of deltas received without a gap (where a re-attach continues from). */
export function contiguous(j) {
  let i = 0;
  while (i < j.parts.length && j.parts[i] !== undefined) i++;
  return i;
}

/** Starts following a job (its deltas from the first one); `prefix` is the text a continued answer had. */
export async function follow(jobId, prefix) {
  const j = entry(jobId);
  if (prefix !== undefined) j.prefix = prefix;
  changed();
  if (j.done || j.lost) return j;
  let r;
  try {
    r = await bus.attach(jobId, contiguous(j));
  } catch (e) {
    // no API node knows the job any more (a server restart): the saved text is all there is
    if (e.status === 404) {
      j.lost = true;
      changed();
      return j;
    }
    throw e;
  }
  if (r && typeof r.prefix === 'string' && prefix === undefined) j.prefix = r.prefix;
  changed();
  return j;
}

/** Registers a job started over the bridge (its deltas may already be arriving). */
export function started(jobId) {
  entry(jobId);
  changed();
}
