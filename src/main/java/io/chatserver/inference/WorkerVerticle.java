package io.chatserver.inference;

import io.chatserver.bus.FinishReason;
import io.chatserver.bus.JobStream;
import io.chatserver.bus.InvalidField;
import io.chatserver.bus.JobFailure;
import io.chatserver.bus.Addresses;
import io.chatserver.inference.engine.BatchScheduler;
import io.chatserver.inference.engine.GenerationListener;
import io.chatserver.inference.engine.ModelRuntime;
import io.chatserver.inference.engine.SamplingParams;
import io.chatserver.inference.engine.GenerationListener.Token;
import io.chatserver.inference.model.ChatTemplate;
import io.chatserver.inference.grammar.Constraint;
import io.chatserver.inference.grammar.JsonSchemas;
import io.chatserver.inference.toolcall.ToolCallStream;
import io.chatserver.inference.toolcall.ThinkStream;
import io.chatserver.inference.toolcall.ToolFormat;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The actor that owns one loaded model: takes generation jobs from the event bus, hands them to the
 * model's batching scheduler (its own thread, never this event loop), and streams each job's
 * deltas to the job's reply address. Cancels arrive by publish and reach whichever worker holds the job.
 */
public final class WorkerVerticle extends VerticleBase {

  private final ModelRuntime runtime;
  private final String nodeId;
  private MessageConsumer<JsonObject> jobs;
  private MessageConsumer<JsonObject> cancels;
  private MessageConsumer<JsonObject> tokenizer;

  public WorkerVerticle(ModelRuntime runtime, String nodeId) {
    this.runtime = runtime;
    this.nodeId = nodeId;
  }

  @Override
  public Future<?> start() {
    jobs = vertx.eventBus().consumer(Addresses.jobsOn(runtime.name(), nodeId), this::onJob);
    cancels = vertx.eventBus().consumer(Addresses.CANCEL, m -> {
      String id = m.body() == null ? null : m.body().getString("jobId");
      if (id != null) {
        runtime.scheduler().cancel(id);
      }
    });
    tokenizer = vertx.eventBus().consumer(Addresses.tokenizeOn(runtime.name(), nodeId), this::onTokenize);
    return Future.all(jobs.completion(), cancels.completion(), tokenizer.completion());
  }

  /** Tokenize (a prompt, or a conversation through the template) or detokenize, off the event loop. */
  private void onTokenize(Message<JsonObject> msg) {
    JsonObject req = msg.body() == null ? new JsonObject() : msg.body();
    vertx.<JsonObject>executeBlocking(() -> tokenize(req), false).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
      } else if (ar.cause() instanceof InvalidJob || ar.cause() instanceof ChatTemplate.TemplateError) {
        msg.fail(JobFailure.INVALID.code, ar.cause().getMessage());
      } else {
        msg.fail(JobFailure.FAILED.code, String.valueOf(ar.cause().getMessage()));
      }
    });
  }

  private JsonObject tokenize(JsonObject req) {
    int maxLen = runtime.model().context();
    if (req.getValue("tokens") != null) {
      long[] ids = tokenIds(req.getValue("tokens"), "tokens");
      return new JsonObject().put("prompt", runtime.tokenizer().decode(ids, false));
    }
    if (req.getValue("messages") != null) {
      JsonArray messages = checkedMessages(req.getValue("messages"));
      String text = runtime.renderChat(messages, req.getJsonArray("tools"), req.getBoolean("addGenerationPrompt", true),
          req.getJsonObject("chatTemplateKwargs"));
      long[] ids = runtime.tokenizer().encode(text, req.getBoolean("addSpecialTokens", runtime.template().isPlain()));
      return new JsonObject().put("tokens", toJson(ids)).put("count", ids.length).put("max_model_len", maxLen).put("prompt", text);
    }
    if (!(req.getValue("prompt") instanceof String prompt)) {
      throw new InvalidJob("tokenize needs prompt (a string), messages, or tokens");
    }
    long[] ids = runtime.tokenizer().encode(prompt, req.getBoolean("addSpecialTokens", true));
    return new JsonObject().put("tokens", toJson(ids)).put("count", ids.length).put("max_model_len", maxLen);
  }

  private static JsonArray toJson(long[] ids) {
    JsonArray a = new JsonArray();
    for (long id : ids) {
      a.add(id);
    }
    return a;
  }

  /** Token ids from a request: integers within the model's vocabulary. */
  private long[] tokenIds(Object value, String field) {
    if (!(value instanceof JsonArray a)) {
      throw new InvalidJob(field + " must be an array of token ids");
    }
    int vocab = runtime.model().config().vocabSize();
    long[] ids = new long[a.size()];
    for (int i = 0; i < ids.length; i++) {
      Object v = a.getValue(i);
      if (!(v instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < 0 || n.longValue() >= vocab) {
        throw new InvalidJob(field + "[" + i + "] must be a token id from 0 to " + (vocab - 1) + ", not " + v);
      }
      ids[i] = n.longValue();
    }
    return ids;
  }

  private static JsonArray checkedMessages(Object value) {
    if (!(value instanceof JsonArray messages)) {
      throw new InvalidJob("messages must be an array");
    }
    for (Object o : messages) {
      if (!(o instanceof JsonObject m) || !(m.getValue("role") instanceof String) || !(m.getValue("content") instanceof String)) {
        throw new InvalidJob("each message needs a role and a string content");
      }
    }
    return messages;
  }

  /** Stops taking jobs; cancels still reach the running ones (they keep streaming until they end). */
  public Future<?> stopTakingJobs() {
    return jobs.unregister();
  }

  private void onJob(Message<JsonObject> msg) {
    JsonObject job = msg.body();
    String jobId = job == null ? null : job.getString("jobId");
    String replyTo = job == null ? null : job.getString("replyTo");
    if (jobId == null || replyTo == null) {
      msg.fail(JobFailure.INVALID.code, "a job needs jobId and replyTo");
      return;
    }
    vertx.<Integer>executeBlocking(() -> submit(job, jobId, replyTo), false).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(new JsonObject().put("jobId", jobId).put("model", runtime.name()).put("worker", nodeId)
            .put("promptTokens", ar.result()));
      } else {
        Throwable e = ar.cause();
        JobFailure why = e instanceof InvalidJob || e instanceof InvalidField || e instanceof ChatTemplate.TemplateError
            ? JobFailure.INVALID
            : e instanceof BatchScheduler.Rejected r
                ? (r.code().equals("queue_full") || r.code().equals("unavailable") ? JobFailure.BUSY : JobFailure.TOO_LONG)
            : JobFailure.FAILED;
        msg.fail(why.code, why == JobFailure.FAILED ? "the worker could not start the job: " + e.getMessage() : e.getMessage());
      }
    });
  }

  /** A job this worker cannot run as sent (answered with {@link JobFailure#INVALID}). */
  static final class InvalidJob extends RuntimeException {
    InvalidJob(String message) {
      super(message, null, false, false);
    }
  }

  /** The id of Mistral's [TOOL_CALLS] when it is one special token (as in Mistral's own tokenizers), else -1 (it is text). */
  private long specialMarker() {
    long[] ids = runtime.tokenizer().encode(ToolFormat.MISTRAL.marker(), false);
    try {
      return ids.length == 1 && runtime.tokenBytes().bytes((int) ids[0]) == null ? ids[0] : -1;
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  /** Tokenizes (off the event loop) and queues; returns the prompt's token count. */
  private int submit(JsonObject job, String jobId, String replyTo) {
    SamplingParams params = SamplingParams.fromJson(job.getJsonObject("options"));
    Integer logprobs = job.getInteger("logprobs");
    if (logprobs != null && (logprobs < 0 || logprobs > SamplingParams.MAX_LOGPROBS)) {
      throw new InvalidJob("logprobs must be from 0 to " + SamplingParams.MAX_LOGPROBS);
    }
    params = params.withLogprobs(logprobs == null ? -1 : logprobs, job.getBoolean("ignoreEos", false));
    long[] prompt;
    JsonArray messages = job.getJsonArray("messages");
    ToolFormat tools = null;
    if (messages != null) {
      checkedMessages(messages);
      JsonArray toolList = "none".equals(job.getString("toolChoice")) ? null : job.getJsonArray("tools");
      if (toolList != null && !toolList.isEmpty()) {
        tools = runtime.toolFormat();
        if (tools == null) {
          throw new InvalidJob("model " + runtime.name() + " has no tool calls in its chat template, so tools cannot be used");
        }
        params = params.withSpecialTokens();
      }
      prompt = runtime.chatPrompt(messages, toolList, job.getJsonObject("chatTemplateKwargs"),
          params.maxTokens(), job.getString("assistantPrefix"));
      params = params.withStop(runtime.templateStops());
    } else if (job.getValue("promptIds") != null) {
      long[] ids = tokenIds(job.getValue("promptIds"), "prompt");
      String more = job.getString("prompt", "");
      long[] tail = more.isEmpty() ? new long[0] : runtime.tokenizer().encode(more, false);
      prompt = java.util.Arrays.copyOf(ids, ids.length + tail.length);
      System.arraycopy(tail, 0, prompt, ids.length, tail.length);
    } else if (job.getString("suffix") != null) {
      prompt = runtime.fimPrompt(job.getString("prompt", ""), job.getString("suffix"));
      if (prompt == null) {
        throw new InvalidJob("model " + runtime.name() + " has no fill-in-the-middle tokens, so suffix cannot be used");
      }
    } else {
      String text = job.getString("prompt");
      if (text == null) {
        throw new InvalidJob("a job needs prompt or messages");
      }
      prompt = runtime.textPrompt(text);
    }
    if (prompt.length == 0) {
      throw new InvalidJob("the prompt is empty");
    }
    Logprobs lp = params.logprobs() < 0 ? null
        : new Logprobs(runtime.tokenizer(), "chat".equals(job.getString("logprobsFormat")), job.getBoolean("tokenIds", false));
    Constraint constraint = null;
    JsonObject grammar = job.getJsonObject("grammar");
    ToolCallStream calls = tools == null ? null : new ToolCallStream(tools);
    if (grammar != null && grammar.getString("type", "").equals("tool") && tools == ToolFormat.MISTRAL && specialMarker() >= 0) {
      // a forced Mistral call opens with the special token [TOOL_CALLS], which no grammar over text can write:
      // the prompt ends with it, the grammar writes the call list after it, and the reader starts inside it
      prompt = java.util.Arrays.copyOf(prompt, prompt.length + 1);
      prompt[prompt.length - 1] = specialMarker();
      grammar = grammar.copy().put("afterMarker", true);
      calls.push(ToolFormat.MISTRAL.marker());
    }
    if (grammar != null) {
      try {
        constraint = runtime.constraint(grammar);
      } catch (JsonSchemas.Unsupported e) {
        throw new InvalidJob(e.getMessage());
      } catch (java.io.IOException e) {
        throw new IllegalStateException("the vocabulary could not be read for the grammar: " + e.getMessage(), e);
      }
    }
    ThinkStream thinking = null;
    if (messages != null && job.getBoolean("reasoning", false) && constraint == null
        && ThinkStream.uses(runtime.template().isPlain() ? null : runtime.template().source())) {
      String tail = runtime.tokenizer().decode(java.util.Arrays.copyOfRange(prompt, Math.max(0, prompt.length - 4), prompt.length), false);
      thinking = new ThinkStream(ThinkStream.opens(tail));
    }
    runtime.scheduler().submit(jobId, prompt, params, new Relay(vertx.eventBus(), jobId, replyTo,
        job.getInteger("attempt", 0), nodeId, lp, calls, thinking), constraint);
    return prompt.length;
  }

  /** Sends one job's output, numbered, to its reply address (the event bus is safe to use from any thread). */
  private static final class Relay implements GenerationListener {
    private final EventBus bus;
    private final String jobId;
    private final String address;
    private final int attempt;
    private final String nodeId;
    private final AtomicLong seq = new AtomicLong();
    /** Formats the tokens' log probabilities when the job asked for them, else null. */
    private final Logprobs logprobs;
    /** Reads tool calls out of the text when the job offered tools, else null. */
    private final ToolCallStream tools;
    private final JsonArray calls = new JsonArray();

    /** Separates the thinking from the answer when the job asked for reasoning apart, else null. */
    private final ThinkStream thinking;
    private final StringBuilder reasoning = new StringBuilder();

    Relay(EventBus bus, String jobId, String address, int attempt, String nodeId, Logprobs logprobs, ToolCallStream tools,
          ThinkStream thinking) {
      this.thinking = thinking;
      this.bus = bus;
      this.jobId = jobId;
      this.address = address;
      this.attempt = attempt;
      this.nodeId = nodeId;
      this.logprobs = logprobs;
      this.tools = tools;
    }

    /** Text and tool calls of a piece of the answer, as deltas: each call as OpenAI streams it, its name, then its arguments. */
    private void send(ToolCallStream.Out out) {
      if (!out.text().isEmpty()) {
        sendText(out.text());
      }
      for (ToolFormat.Call c : out.calls()) {
        int index = calls.size();
        String id = callId();
        calls.add(new JsonObject().put("id", id).put("type", "function")
            .put("function", new JsonObject().put("name", c.name()).put("arguments", c.arguments())));
        sendExtra(new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject().put("index", index).put("id", id)
            .put("type", "function").put("function", new JsonObject().put("name", c.name()).put("arguments", "")))));
        sendExtra(new JsonObject().put("tool_calls", new JsonArray().add(new JsonObject().put("index", index)
            .put("function", new JsonObject().put("arguments", c.arguments())))));
      }
    }

    private void sendExtra(JsonObject openai) {
      bus.send(address, new JobStream.Delta(jobId, attempt, seq.incrementAndGet(), "", openai).toJson());
    }

    /** A call id of 9 letters and digits (what Mistral's template insists on; any client takes it). */
    private static String callId() {
      String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
      java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
      StringBuilder sb = new StringBuilder(9);
      for (int i = 0; i < 9; i++) {
        sb.append(chars.charAt(r.nextInt(chars.length())));
      }
      return sb.toString();
    }

    @Override
    public void onToken(Token token) {
      if (logprobs != null) {
        logprobs.add(token);
      }
    }

    @Override
    public void onDelta(String text) {
      if (thinking != null) {
        ThinkStream.Out out = thinking.push(text);
        reason(out.reasoning());
        text = out.content();
        if (text.isEmpty()) {
          return;
        }
      }
      content(text);
    }

    private void content(String text) {
      if (tools != null) {
        send(tools.push(text));
        return;
      }
      sendText(text);
    }

    private void reason(String text) {
      if (!text.isEmpty()) {
        reasoning.append(text);
        sendExtra(new JsonObject().put("reasoning_content", text));
      }
    }

    private void sendText(String text) {
      JsonObject lp = logprobs == null ? null : logprobs.pending();
      bus.send(address, new JobStream.Delta(jobId, attempt, seq.incrementAndGet(), text,
          lp == null ? null : new JsonObject().put("logprobs", lp)).toJson());
    }

    @Override
    public void onFinish(Finish f) {
      if (thinking != null) {
        ThinkStream.Out out = thinking.finish();
        reason(out.reasoning());
        if (!out.content().isEmpty()) {
          content(out.content());
        }
      }
      if (tools != null) {
        send(tools.finish());
      }
      JsonObject rest = logprobs == null ? null : logprobs.pending();
      if (rest != null) { // tokens whose text never came (a stop string cut it): their log probabilities still do
        sendExtra(new JsonObject().put("logprobs", rest));
      }
      JsonObject usage = new JsonObject().put("promptTokens", f.promptTokens()).put("completionTokens", f.completionTokens())
          .put("ttftMs", f.ttftMs()).put("tokensPerSecond", Math.round(f.tokensPerSecond() * 100) / 100.0);
      FinishReason reason = !calls.isEmpty() && f.reason() == FinishReason.STOP ? FinishReason.TOOL_CALLS : f.reason();
      JsonObject openai = new JsonObject();
      if (logprobs != null) {
        openai.put("logprobs", logprobs.all());
      }
      if (!calls.isEmpty()) {
        openai.put("tool_calls", calls);
      }
      if (reasoning.length() > 0) {
        openai.put("reasoning_content", reasoning.toString());
      }
      bus.send(address, new JobStream.Done(jobId, attempt, seq.incrementAndGet(), reason, f.error(), usage,
          openai.isEmpty() ? null : openai).toJson());
    }
  }

}
