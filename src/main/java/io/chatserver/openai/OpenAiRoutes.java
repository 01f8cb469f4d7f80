package io.chatserver.openai;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.ErrorHandler;
import io.chatserver.api.Caller;
import io.chatserver.generation.AnswerRequest;
import io.chatserver.generation.ChatAnswers;
import io.chatserver.generation.GenerationRoutes;
import io.chatserver.generation.GenerationService;
import io.chatserver.generation.JobRef;
import io.chatserver.generation.Tools;
import io.chatserver.generation.Sse;
import io.chatserver.bus.FinishReason;
import io.chatserver.bus.SamplingOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * The OpenAI-compatible face: {@code /v1/models}, {@code /v1/chat/completions} and
 * {@code /v1/completions} (with {@code suffix}), streaming or not, with
 * {@code stream_options.include_usage}, stop sequences, {@code seed} and {@code n=1}; errors in
 * OpenAI's JSON shape. Authenticated with a JWT or a per-user API key.
 */
public final class OpenAiRoutes implements io.chatserver.api.Routes {

  private final GenerationService gen;
  private final ChatAnswers answers;
  private final int maxContentChars;
  /** This deployment's public id, sent with /v1/models so that a service pointing back here is recognised (null: none). */
  private final String instanceId;

  public OpenAiRoutes(GenerationService gen, ChatAnswers answers, int maxContentChars, String instanceId) {
    this.gen = gen;
    this.answers = answers;
    this.maxContentChars = maxContentChars;
    this.instanceId = instanceId;
  }

  @Override
  public void mount(Router router) {
    router.route("/v1/*").failureHandler(OpenAiRoutes::error);
    router.get("/v1/models").handler(this::models);
    router.post("/v1/chat/completions").handler(ctx -> complete(ctx, true));
    router.post("/v1/completions").handler(ctx -> complete(ctx, false));
    for (String path : new String[] {"/tokenize", "/detokenize"}) {
      router.route(path).failureHandler(OpenAiRoutes::error);
    }
    router.post("/tokenize").handler(this::tokenize);
    router.post("/detokenize").handler(this::detokenize);
  }

  /**
   * vLLM's {@code POST /tokenize}: {@code {model, prompt, add_special_tokens}} or {@code {model,
   * messages, tools, add_generation_prompt, chat_template_kwargs}} (then the rendered prompt comes
   * back too) gives {@code {tokens, count, max_model_len}}.
   */
  private void tokenize(RoutingContext ctx) {
    Body body = Body.of(ctx);
    JsonObject req = new JsonObject();
    if (body.has("messages")) {
      req.put("messages", GenerationRoutes.validMessages(textMessages(body.optionalArray("messages")), maxContentChars));
      JsonArray tools = body.optionalArray("tools");
      if (tools != null) {
        req.put("tools", tools);
      }
      Boolean gen = body.optionalBoolean("add_generation_prompt");
      req.put("addGenerationPrompt", gen == null || gen);
      JsonObject kwargs = body.optionalObject("chat_template_kwargs");
      if (kwargs != null) {
        req.put("chatTemplateKwargs", kwargs);
      }
      Boolean special = body.optionalBoolean("add_special_tokens");
      if (special != null) {
        req.put("addSpecialTokens", special);
      }
    } else {
      req.put("prompt", body.requiredString("prompt", 0, maxContentChars));
      Boolean special = body.optionalBoolean("add_special_tokens");
      req.put("addSpecialTokens", special == null || special);
    }
    gen.tokenize(body.optionalString("model", 1, 200), req).onFailure(ctx::fail)
        .onSuccess(r -> ctx.response().putHeader("Content-Type", "application/json").end(r.encode()));
  }

  /** vLLM's {@code POST /detokenize}: {@code {model, tokens}} gives {@code {prompt}} (special tokens kept). */
  private void detokenize(RoutingContext ctx) {
    Body body = Body.of(ctx);
    JsonArray tokens = body.optionalArray("tokens");
    if (tokens == null || tokens.size() > 1_000_000) {
      throw ApiError.badRequest("tokens", "tokens must be an array of token ids");
    }
    gen.tokenize(body.optionalString("model", 1, 200), new JsonObject().put("tokens", tokens)).onFailure(ctx::fail)
        .onSuccess(r -> ctx.response().putHeader("Content-Type", "application/json").end(r.encode()));
  }

  /** Errors as OpenAI clients expect them: {error: {message, type, param, code}}. */
  static void error(RoutingContext ctx) {
    ApiError e = ErrorHandler.toApiError(ctx.failure(), ctx.statusCode());
    String type = switch (e.status()) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 429 -> "rate_limit_error";
      case 500, 502, 503, 504 -> "server_error";
      default -> "invalid_request_error";
    };
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    JsonObject err = new JsonObject().put("message", e.getMessage()).put("type", type).put("param", e.field())
        .put("code", e.code());
    if (e.retryAfter() > 0) {
      ctx.response().putHeader("Retry-After", String.valueOf(e.retryAfter()));
    }
    ctx.response().setStatusCode(e.status()).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", err).encode());
  }

  private void models(RoutingContext ctx) {
    gen.models().onFailure(ctx::fail).onSuccess(list -> {
      JsonArray data = new JsonArray();
      for (Object o : list.getJsonArray("models", new JsonArray())) {
        JsonObject m = (JsonObject) o;
        if ("ready".equals(m.getString("status"))) {
          data.add(new JsonObject().put("id", m.getString("name")).put("object", "model").put("created", 0)
              .put("owned_by", m.getString("service", "chat-server")));
        }
      }
      if (instanceId != null) {
        ctx.response().putHeader("X-Chat-Server-Instance", instanceId);
      }
      ctx.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("object", "list").put("data", data).encode());
    });
  }

  private void complete(RoutingContext ctx, boolean chat) {
    UUID user = Caller.of(ctx).userId();
    Body body = Body.of(ctx);
    JsonObject req = body.json();
    Long n = body.optionalLong("n", 1, 128);
    if (n != null && n != 1) {
      throw ApiError.badRequest("n", "only n=1 is supported");
    }
    boolean stream = Boolean.TRUE.equals(body.optionalBoolean("stream"));
    JsonObject streamOptions = body.optionalObject("stream_options");
    boolean includeUsage = streamOptions != null && Boolean.TRUE.equals(streamOptions.getValue("include_usage"));
    JsonObject options = options(body, chat);
    JsonObject payload = new JsonObject(); // what the worker gets beside the conversation or the prompt
    JsonArray messages = null;
    JsonObject promptPayload = new JsonObject();
    if (chat) {
      messages = GenerationRoutes.validMessages(textMessages(body.optionalArray("messages")), maxContentChars);
      JsonObject kwargs = body.optionalObject("chat_template_kwargs");
      if (kwargs != null) {
        payload.put("chatTemplateKwargs", kwargs);
      }
      payload.put("reasoning", true); // a thinking model's <think> text comes back apart, as reasoning_content
    } else {
      Object prompt = req.getValue("prompt");
      JsonArray ids = promptIds(prompt);
      if (ids != null) {
        promptPayload.put("promptIds", ids);
      } else {
        promptPayload.put("prompt", prompt(prompt));
      }
      String suffix = body.optionalString("suffix", 0, maxContentChars);
      if (suffix != null) {
        if (ids != null) {
          throw ApiError.badRequest("suffix", "suffix needs a text prompt, not token ids");
        }
        promptPayload.put("suffix", suffix);
      }
    }
    localExtras(body, chat, payload);
    String model = body.optionalString("model", 1, 200);
    long created = System.currentTimeMillis() / 1000;
    JsonObject passed = passthrough(req);
    if (!passed.isEmpty()) {
      payload.put(AnswerRequest.OPENAI_PASSED, passed);
    }
    JsonArray conversation = messages;
    answers.start(conversation != null
            ? AnswerRequest.conversation(user, conversation, null, model, options, false, payload, true)
            : AnswerRequest.prompt(user, promptPayload, model, options, payload, true))
        .onFailure(ctx::fail)
        .onSuccess(started -> {
          JobRef job = started.job();
          String id = (chat ? "chatcmpl-" : "cmpl-") + job.id();
          if (stream) {
            Sse.stream(ctx, gen, job.id(), user, 0, new ChunkFormat(id, created, chat, includeUsage), () -> gen.cancel(job.id()));
          } else {
            gen.finished(job.id(), user).onSuccess(done -> ctx.response().putHeader("Content-Type", "application/json")
                .end(response(id, created, chat, done).encode()));
          }
        });
  }

  /** OpenAI parameters to ours; OpenAI's defaults (temperature 1, top_p 1, no top_k) where absent. */
  static JsonObject options(Body body, boolean chat) {
    JsonObject o = new JsonObject();
    Double temperature = body.optionalDouble("temperature", 0, 2);
    o.put("temperature", temperature != null ? temperature : 1.0);
    Double topP = body.optionalDouble("top_p", 0, 1);
    o.put("top_p", topP != null ? topP : 1.0);
    o.put("top_k", 0).put("min_p", 0.0);
    Long max = body.optionalLong(chat && body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", 1,
        SamplingOptions.MAX_TOKENS_LIMIT);
    if (max != null) {
      o.put("max_tokens", max);
    } else if (!chat) {
      o.put("max_tokens", 16); // OpenAI's default for completions
    }
    Long seed = body.optionalLong("seed", Long.MIN_VALUE, Long.MAX_VALUE);
    if (seed != null) {
      o.put("seed", seed);
    }
    Object stop = body.json().getValue("stop");
    if (stop != null) {
      o.put("stop", stop);
    }
    Object topK = body.json().getValue("top_k");
    if (topK != null) {
      o.put("top_k", topK);
    }
    Object repeat = body.json().getValue("repeat_penalty");
    if (repeat != null) {
      o.put("repeat_penalty", repeat);
    }
    try {
      return SamplingOptions.validate(o, "options");
    } catch (io.chatserver.bus.InvalidField e) {
      throw ApiError.badRequest(e.field().replace("options.", ""), e.getMessage());
    }
  }

  /** OpenAI parameters the local engine has no use for: passed on to an upstream service's model, else a 400. */
  private static final java.util.List<String> PASSED = java.util.List.of("presence_penalty", "frequency_penalty", "logit_bias",
      "user");

  /** OpenAI parameters both the local engine and an upstream service take (passed on to the latter as they are). */
  private static final java.util.List<String> SHARED = java.util.List.of("logprobs", "top_logprobs");

  private static JsonObject passthrough(JsonObject req) {
    JsonObject out = new JsonObject();
    for (String key : PASSED) {
      if (req.getValue(key) != null) {
        out.put(key, req.getValue(key));
      }
    }
    return out;
  }

  /**
   * What the local engine reads besides sampling: log probabilities (completions: {@code logprobs}
   * 0-20 alternatives; chat: {@code logprobs: true} with {@code top_logprobs} 0-20), and vLLM's
   * {@code ignore_eos} and {@code return_tokens_as_token_ids}. An upstream service's model gets
   * the OpenAI ones passed on instead.
   */
  private static void localExtras(Body body, boolean chat, JsonObject payload) {
    JsonObject openai = new JsonObject();
    Integer top = null;
    if (chat) {
      Boolean on = body.optionalBoolean("logprobs");
      Long n = body.optionalLong("top_logprobs", 0, 20);
      if (n != null && !Boolean.TRUE.equals(on)) {
        throw ApiError.badRequest("top_logprobs", "top_logprobs needs logprobs: true");
      }
      if (Boolean.TRUE.equals(on)) {
        top = n == null ? 0 : n.intValue();
        openai.put("logprobs", true);
        if (n != null) {
          openai.put("top_logprobs", n);
        }
      }
    } else {
      Long n = body.optionalLong("logprobs", 0, 20);
      if (n != null) {
        top = n.intValue();
        openai.put("logprobs", n);
      }
    }
    if (top != null) {
      payload.put("logprobs", top).put("logprobsFormat", chat ? "chat" : "completion");
    }
    if (chat) {
      Tools.offer(body, payload, openai);
    }
    JsonObject format = body.optionalObject("response_format");
    if (format != null) {
      openai.put("response_format", format);
      String type = format.getString("type", "");
      switch (type) {
        case "text" -> { }
        case "json_object" -> payload.put("grammar", new JsonObject().put("type", "json_object"));
        case "json_schema" -> {
          JsonObject js = format.getJsonObject("json_schema");
          if (js == null || !(js.getValue("schema") instanceof JsonObject schema)) {
            throw ApiError.badRequest("response_format", "response_format json_schema needs json_schema: {name, schema, strict?}");
          }
          payload.put("grammar", new JsonObject().put("type", "json_schema").put("schema", schema));
        }
        default -> throw ApiError.badRequest("response_format", "response_format type must be text, json_object or json_schema");
      }
      if (payload.containsKey("grammar") && payload.getJsonObject("grammar").getString("type").startsWith("json")
          && "required".equals(payload.getString("toolChoice"))) {
        throw ApiError.badRequest("response_format", "response_format and a forced tool call cannot go together");
      }
    }
    if (Boolean.TRUE.equals(body.optionalBoolean("return_tokens_as_token_ids"))) {
      payload.put("tokenIds", true);
    }
    if (Boolean.TRUE.equals(body.optionalBoolean("ignore_eos"))) {
      payload.put("ignoreEos", true);
    }
    if (!openai.isEmpty()) {
      payload.put(AnswerRequest.OPENAI_SHARED, openai);
    }
  }

  /** A completions prompt given as token ids ([1, 2, 3], or [[1, 2, 3]]), or null for a text prompt. */
  static JsonArray promptIds(Object p) {
    if (p instanceof JsonArray a && a.size() == 1 && a.getValue(0) instanceof JsonArray inner) {
      a = inner;
      p = a;
    }
    if (!(p instanceof JsonArray a) || a.isEmpty() || !(a.getValue(0) instanceof Number)) {
      return null;
    }
    if (a.size() > 1_000_000) {
      throw ApiError.badRequest("prompt", "the prompt has too many tokens");
    }
    for (int i = 0; i < a.size(); i++) {
      if (!(a.getValue(i) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 0) {
        throw ApiError.badRequest("prompt", "prompt[" + i + "] must be a token id (a non-negative integer)");
      }
    }
    return a.copy();
  }

  /** Chat messages whose content may be a list of parts: the text parts are joined. */
  static JsonArray textMessages(JsonArray messages) {
    if (messages == null) {
      return null;
    }
    JsonArray out = new JsonArray();
    for (Object o : messages) {
      if (o instanceof JsonObject m && m.getValue("content") instanceof JsonArray parts) {
        StringBuilder sb = new StringBuilder();
        for (Object p : parts) {
          if (p instanceof JsonObject part && "text".equals(part.getString("type")) && part.getValue("text") instanceof String t) {
            sb.append(t);
          }
        }
        out.add(m.copy().put("content", sb.toString()));
      } else if (o instanceof JsonObject m && m.getValue("content") == null && m.containsKey("role")) {
        out.add(m.copy().put("content", ""));
      } else {
        out.add(o);
      }
    }
    for (Object o : out) {
      if (o instanceof JsonObject m && "developer".equals(m.getValue("role"))) {
        m.put("role", "system"); // OpenAI's newer name for the system role
      }
    }
    return out;
  }

  static String prompt(Object p) {
    if (p instanceof String s) {
      return s;
    }
    if (p instanceof JsonArray a && a.size() == 1 && a.getValue(0) instanceof String s) {
      return s;
    }
    throw ApiError.badRequest("prompt", "prompt must be a string (or an array of exactly one string)");
  }

  static String finishReason(JsonObject done) {
    String r = done.getString("finishReason");
    FinishReason f = FinishReason.parse(r);
    return f == FinishReason.LENGTH || f == FinishReason.TOOL_CALLS ? f.wire() : "stop";
  }

  static JsonObject usage(JsonObject done) {
    JsonObject u = done.getJsonObject("usage", new JsonObject());
    int p = u.getInteger("promptTokens", 0);
    int c = u.getInteger("completionTokens", 0);
    return new JsonObject().put("prompt_tokens", p).put("completion_tokens", c).put("total_tokens", p + c);
  }

  static JsonObject response(String id, long created, boolean chat, JsonObject done) {
    JsonObject choice = new JsonObject().put("index", 0).put("finish_reason", finishReason(done));
    JsonObject openai = done.getJsonObject("openai", new JsonObject());
    if (chat) {
      JsonObject message = new JsonObject().put("role", "assistant").put("content", done.getString("text"));
      if (openai.getString("reasoning_content") != null) {
        message.put("reasoning_content", openai.getString("reasoning_content"));
      }
      if (openai.getJsonArray("tool_calls") != null) {
        message.put("tool_calls", openai.getJsonArray("tool_calls"));
        if (done.getString("text", "").isEmpty()) {
          message.putNull("content"); // as OpenAI answers a pure tool call
        }
      }
      choice.put("message", message).put("logprobs", openai.getJsonObject("logprobs"));
    } else {
      choice.put("text", done.getString("text")).put("logprobs", openai.getJsonObject("logprobs"));
    }
    return new JsonObject().put("id", id).put("object", chat ? "chat.completion" : "text_completion").put("created", created)
        .put("model", done.getString("model")).put("choices", new JsonArray().add(choice)).put("usage", usage(done));
  }

  /** Streaming chunks in OpenAI's format, then {@code data: [DONE]}. */
  private static final class ChunkFormat implements Sse.Format {
    private final String id;
    private final long created;
    private final boolean chat;
    private final boolean includeUsage;
    private boolean first = true;

    ChunkFormat(String id, long created, boolean chat, boolean includeUsage) {
      this.id = id;
      this.created = created;
      this.chat = chat;
      this.includeUsage = includeUsage;
    }

    private JsonObject chunk(JobRef job, JsonObject choice) {
      return new JsonObject().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
          .put("created", created).put("model", job.model()).put("choices", new JsonArray().add(choice.put("index", 0)));
    }

    private JsonObject content(String text, JsonObject extra) {
      JsonObject c = new JsonObject();
      JsonObject logprobs = extra == null ? null : extra.getJsonObject("logprobs");
      if (chat) {
        JsonObject delta = new JsonObject();
        boolean apart = extra != null && (extra.getJsonArray("tool_calls") != null || extra.getString("reasoning_content") != null);
        if (!text.isEmpty() || !apart) {
          delta.put("content", text);
        }
        if (extra != null && extra.getString("reasoning_content") != null) {
          delta.put("reasoning_content", extra.getString("reasoning_content"));
        }
        if (extra != null && extra.getJsonArray("tool_calls") != null) {
          delta.put("tool_calls", extra.getJsonArray("tool_calls"));
        }
        if (first) {
          delta.put("role", "assistant");
          first = false;
        }
        c.put("delta", delta);
        if (logprobs != null) {
          c.put("logprobs", logprobs);
        }
      } else {
        c.put("text", text).put("logprobs", logprobs);
      }
      return c.putNull("finish_reason");
    }

    @Override
    public String delta(JobRef job, long seq, String text) {
      return delta(job, seq, text, null);
    }

    @Override
    public String delta(JobRef job, long seq, String text, JsonObject extra) {
      if (extra != null && extra.getString("event") != null) {
        return ": " + extra.getString("event") + "\n\n"; // progress OpenAI clients have no place for: a comment
      }
      return "data: " + chunk(job, content(text, extra)).encode() + "\n\n";
    }

    @Override
    public String done(JobRef job, long seq, JsonObject result) {
      StringBuilder sb = new StringBuilder();
      if ("error".equals(result.getString("status")) && result.getString("error") != null) {
        sb.append("data: ").append(new JsonObject().put("error", new JsonObject().put("message", result.getString("error"))
            .put("type", "server_error")).encode()).append("\n\n");
      }
      JsonObject last = content("", null);
      if (chat) {
        last.put("delta", new JsonObject());
      } else {
        last.put("text", "");
      }
      last.put("finish_reason", finishReason(result));
      sb.append("data: ").append(chunk(job, last).encode()).append("\n\n");
      if (includeUsage) {
        JsonObject u = new JsonObject().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
            .put("created", created).put("model", job.model()).put("choices", new JsonArray()).put("usage", usage(result));
        sb.append("data: ").append(u.encode()).append("\n\n");
      }
      return sb.append("data: [DONE]\n\n").toString();
    }
  }
}
