package io.chatserver.bus;

/**
 * Every event bus address the nodes use, and the format of what travels on it. All bodies are JSON
 * objects. Generation:
 *
 * <pre>
 * jobsOn(model, nodeId)  request  {jobId, userId, model, options{...}, replyTo, attempt, chatId?, messageId? (the message
 *                        regenerated or continued), and one of: prompt (raw text);
 *                        promptIds[] (token ids; + prompt: text to append, a failover's answer so far);
 *                        prompt + suffix (fill-in-the-middle); messages[{role, content, tool_calls?, tool_call_id?,
 *                        name?}] (+ tools[], chatTemplateKwargs{}, assistantPrefix to continue a partial answer);
 *                        logprobs? (alternatives per token, 0-20: each token's log probability comes back),
 *                        logprobsFormat? ("chat" | "completion": OpenAI's shape of them), tokenIds? (tokens named
 *                        "token_id:N"), ignoreEos?}
 *               reply    {jobId, model, promptTokens}            (accepted: the stream follows)
 *               failure  ReplyException(JobFailure code, message): INVALID (bad options or messages),
 *                        TOO_LONG (prompt longer than the context), BUSY (queue full, shutting down),
 *                        FAILED, UPSTREAM (message: {status, retryAfter, message}); NO_HANDLERS when
 *                        that node does not serve the model
 *               (a remote worker's job may also carry openai{tools, tool_choice, logprobs, ...}: passed to the upstream)
 * replyTo       the worker sends, in order (typed: {@link JobStream}):
 *               {type: "delta", jobId, attempt, seq, text, openai?}  (seq = 1, 2, ...; attempt echoes the job's;
 *                        openai: an upstream's {tool_calls, logprobs} of that chunk, as it sent them)
 *               {type: "done",  jobId, seq, finishReason: stop|length|tool_calls|cancelled|error, error?,
 *                usage: {promptTokens, completionTokens, ttftMs, tokensPerSecond},
 *                openai? (the whole answer's {tool_calls, logprobs}, merged)}
 * tokenizeOn(model, nodeId) request {prompt, addSpecialTokens?} or {messages, tools?, addGenerationPrompt?,
 *                        chatTemplateKwargs?} or {tokens[]} (detokenize)
 *               reply    {tokens, count, maxModelLen, prompt? (the rendered template)} / {prompt} (detokenize);
 *                        failure INVALID (bad ids, a template's refusal)
 * CANCEL        publish  {jobId}                                   (the worker holding it stops it)
 *               (the API side's WorkerRegistry picks the node from the heartbeats)
 * WORKERS       publish, every heartbeat, by each worker node:
 *               {nodeId, draining, leaving?, models: [{name, status, error?, info: {freeSlots, running, ...}}]}
 * jobReplay(id)  request {} to the owning API node; reply {userId, model, worker, messageId, deltas: [...], done?};
 *               from then on the owner also publishes the job's events on:
 * jobEvents(id)  publish, by the API node that owns a job: {type: "delta", jobId, seq, text, openai?} /
 *               {type: "ended", jobId, seq, result: {finishReason, status, text, usage, messageId?, ...}}
 *               (with jobEvents, any API node can stream a job that another one started)
 * </pre>
 *
 * <p>The browser side, through the SockJS bridge at /eventbus (the bridge stamps userId on every
 * inbound message):
 *
 * <pre>
 * CHAT_GENERATE request  {chatId, content, parentId?, model?, options?, fileIds? (files of the chat to attach), webSearch?}
 *               reply    {jobId, assistantMessageId, model, message, stream}
 *               failure  (every inbound address) failureCode = the HTTP status the REST API would give, message = the
 *                        error object as JSON text: {code, message, field?, retryAfter?}
 * CHAT_STOP     request  {jobId}  reply the job's final state (as the done event below)
 * CHAT_ATTACH   request  {jobId, from}  reply {jobId, done, prefix (text a continued answer had)}; then the job's deltas after seq `from` (and its done)
 *               are published on user(id) again: how a reloaded or reconnected page catches up with no gap
 * user(id)      the client registers it; receives {type: "delta", jobId, seq, text, search? (a web search's progress),
 *               reasoning? (a thinking model's reasoning), toolCalls? (tool-call pieces, OpenAI's delta shape)} and
 *               {type: "done", jobId, seq, finishReason, status, text, usage, messageId}
 * </pre>
 */
public final class Addresses {

  public static final String JOBS_PREFIX = "inference.jobs.";
  public static final String CANCEL = "inference.cancel";
  public static final String WORKERS = "inference.workers";
  public static final String STREAM_PREFIX = "inference.stream.";
  public static final String CHAT_GENERATE = "chat.generate";
  public static final String CHAT_STOP = "chat.stop";
  public static final String CHAT_ATTACH = "chat.attach";
  /**
   * publish, to every worker node: {op: "pull", pullId, repo, revision, name} (download a Hugging Face
   * model into the models directory, then load it), {op: "delete", name} (unload it, delete its folder) or
   * {op: "clear-caches"} (forget the kept prefixes and compiled grammars of every model).
   */
  public static final String MODELS_MANAGE = "models.manage";

  /** publish {} after an admin changed the upstream services: every node's remote workers reload. */
  public static final String SERVICES_CHANGED = "services.changed";

  /** publish {mode: normal|maintenance|read-only, message, since} after an admin changed it: every API node follows. */
  public static final String SYSTEM_STATUS = "system.status";
  public static final String USER_PREFIX = "user.";

  private Addresses() {}

  public static String jobEvents(String jobId) {
    return "job.events." + jobId;
  }

  public static String jobReplay(String jobId) {
    return "job.replay." + jobId;
  }

  /** Tokenizing and detokenizing with one model's tokenizer and template on one worker node. */
  public static String tokenizeOn(String model, String nodeId) {
    return "inference.tokenize." + model + "@" + nodeId;
  }

  /** Jobs for one model on one worker node. */
  public static String jobsOn(String model, String nodeId) {
    return JOBS_PREFIX + model + "@" + nodeId;
  }

  /**
   * Where a worker publishes a pull's progress: {pullId, nodeId, seq (per node), stage: download|load|ready|error, file?,
   * fileIndex?, fileCount?, bytes?, totalBytes?, error?}.
   */
  public static String modelPull(String pullId) {
    return "models.pull." + pullId;
  }

  /**
   * request {} to the API node that started a pull; reply {events: [...]} (what {@link #modelPull}
   * carried so far), so a stream opened on any API node starts from the beginning.
   */
  public static String modelPullReplay(String pullId) {
    return "models.pull.replay." + pullId;
  }

  /** The address a browser registers to hear its own generations. */
  public static String user(java.util.UUID userId) {
    return USER_PREFIX + userId;
  }

  /** A per-job address for the stream of deltas. */
  public static String stream(String jobId) {
    return STREAM_PREFIX + jobId;
  }
}
