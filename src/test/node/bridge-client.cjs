// Drives the SockJS event bus bridge like a browser would, with the Vert.x bridge client; prints what it saw as JSON.
const EventBus = require('@vertx/eventbus-bridge-client.js');

const { PORT, TOKEN, USER_ID, OTHER_USER_ID, CHAT_ID } = process.env;
const out = { errors: [], deltas: [], reply: null, replyError: null, done: null };
const timer = setTimeout(() => { console.log(JSON.stringify({ ...out, timeout: true })); process.exit(2); }, 60000);

const eb = new EventBus(`http://127.0.0.1:${PORT}/eventbus?token=${TOKEN}`);
eb.enableReconnect(false);
eb.onerror = (err) => out.errors.push(err && err.body ? err.body : String(err));
eb.onopen = () => {
  // someone else's address: the bridge refuses
  eb.registerHandler(`user.${OTHER_USER_ID}`, () => { out.sawOthers = true; });
  eb.registerHandler(`user.${USER_ID}`, (err, msg) => {
    if (err) { out.errors.push(String(err)); return; }
    const body = msg.body;
    if (body.type === 'delta') out.deltas.push(body);
    if (body.type === 'done') {
      out.done = body;
      setTimeout(() => { clearTimeout(timer); console.log(JSON.stringify(out)); eb.close(); process.exit(0); }, 300);
    }
  });
  // a permitted address, with a forged userId that the bridge must overwrite
  eb.send('chat.generate', { chatId: CHAT_ID, content: 'Tell me a story.', userId: OTHER_USER_ID,
    options: { temperature: 0, max_tokens: 24 } }, (err, reply) => {
    if (err) out.replyError = err.body || err.message || String(err);
    else out.reply = reply.body;
  });
  // a refusal comes back as the REST API's error object (JSON text), with its HTTP status as the failure code
  eb.send('chat.generate', { chatId: CHAT_ID, content: '' }, (err) => {
    out.refusal = err ? { failureCode: err.failureCode, message: err.message } : null;
  });
  // an address that is not permitted inbound
  eb.send('inference.cancel', { jobId: 'x' });
};
