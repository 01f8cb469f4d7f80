// Drives the server's /v1 API with the official openai package; prints what it saw as JSON.
import OpenAI from 'openai';

const client = new OpenAI({ apiKey: process.env.KEY, baseURL: `http://127.0.0.1:${process.env.PORT}/v1`, maxRetries: 0 });
const out = {};
const model = 'stories260k';

out.models = (await client.models.list()).data.map((m) => m.id);

const chat = await client.chat.completions.create({
  model, messages: [{ role: 'user', content: 'Tell me a story.' }], temperature: 0, max_tokens: 20, seed: 7,
});
out.chat = { content: chat.choices[0].message.content, finish: chat.choices[0].finish_reason, usage: chat.usage, object: chat.object };

const stream = await client.chat.completions.create({
  model, messages: [{ role: 'user', content: 'Tell me a story.' }], temperature: 0, max_tokens: 20, seed: 7,
  stream: true, stream_options: { include_usage: true },
});
let streamed = '';
let finish = null;
let usage = null;
let chunks = 0;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length > 0) {
    streamed += chunk.choices[0].delta?.content ?? '';
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  if (chunk.usage) usage = chunk.usage;
}
out.stream = { content: streamed, finish, usage, chunks };

const completion = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 56, temperature: 0 });
out.completion = { text: completion.choices[0].text, finish: completion.choices[0].finish_reason };

const stopped = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 56, temperature: 0, stop: ['Lily'] });
out.stopped = { text: stopped.choices[0].text, finish: stopped.choices[0].finish_reason };

async function failure(fn) {
  try {
    await fn();
    return { status: 200 };
  } catch (e) {
    return { status: e.status, type: e.error?.type ?? e.type, param: e.error?.param ?? e.param, message: e.message };
  }
}
out.unknownModel = await failure(() => client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }));
out.n2 = await failure(() => client.chat.completions.create({ model, n: 2, messages: [{ role: 'user', content: 'x' }] }));
out.fim = await failure(() => client.completions.create({ model, prompt: 'def f(', suffix: 'return 1' }));
out.badKey = await failure(() => new OpenAI({ apiKey: 'sk-cs-wrong', baseURL: `http://127.0.0.1:${process.env.PORT}/v1`, maxRetries: 0 }).models.list());

console.log(JSON.stringify(out));
