package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Ids;
import io.chatserver.api.Responses;
import io.chatserver.api.Caller;
import io.chatserver.bus.SamplingOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;
import java.util.UUID;

/**
 * Generation over HTTP: regenerate and continue (through {@link ChatAnswers}), the job stream (SSE),
 * stop, and the raw {@code /api/generate} and {@code /api/chat} calls. A new message with its answer
 * is posted to the chat routes, which hand it to {@link ChatAnswers}.
 */
public final class GenerationRoutes implements io.chatserver.api.Routes {

  private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

  private final GenerationService gen;
  private final ChatAnswers answers;
  private final int maxContentChars;

  public GenerationRoutes(GenerationService gen, ChatAnswers answers, int maxContentChars) {
    this.gen = gen;
    this.answers = answers;
    this.maxContentChars = maxContentChars;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/chats/:chatId/messages/:messageId/regenerate").handler(Responses.handle(201, this::regenerate));
    router.post("/api/chats/:chatId/messages/:messageId/continue").handler(Responses.handle(200, this::continueMessage));
    router.get("/api/jobs/:jobId").handler(Responses.handle(200, this::jobStatus));
    router.get("/api/jobs/:jobId/stream").handler(this::stream);
    router.post("/api/jobs/stop-all").handler(Responses.handle(200, ctx -> gen.stopAll(Caller.of(ctx).userId())
        .map(ids -> new JsonObject().put("stopped", ids))));
    router.post("/api/jobs/:jobId/stop").handler(Responses.handle(200, this::stop));
    router.post("/api/generate").handler(this::generate);
    router.post("/api/chat").handler(this::chat);
  }

  // ---- chats ----

  private Future<JsonObject> regenerate(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("model", "options", "webSearch"));
    return answers.regenerate(AnswerRequest.regenerate(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"),
        Ids.pathParam(ctx, "messageId"), body.optionalString("model", 1, 200),
        SamplingOptions.validate(body.optionalObject("options"), "options"), body.optionalBoolean("webSearch")));
  }

  private Future<JsonObject> continueMessage(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("model", "options", "webSearch")); // webSearch: taken, not used (nothing is asked)
    return answers.continueAnswer(AnswerRequest.continueAnswer(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"),
        Ids.pathParam(ctx, "messageId"), body.optionalString("model", 1, 200),
        SamplingOptions.validate(body.optionalObject("options"), "options")));
  }

  // ---- jobs ----

  /** The job id in the path (400 when it is not one). */
  private static String jobId(RoutingContext ctx) {
    String id = ctx.pathParam("jobId");
    Ids.parse(id, "jobId");
    return id;
  }

  private static <T> T found(T job) {
    if (job == null) {
      throw ApiError.notFound("job");
    }
    return job;
  }

  private Future<JsonObject> jobStatus(RoutingContext ctx) {
    return gen.snapshot(jobId(ctx), Caller.of(ctx).userId()).map(job -> found(job).toJson());
  }

  private void stream(RoutingContext ctx) {
    long from = Sse.resumeFrom(ctx);
    Sse.stream(ctx, gen, jobId(ctx), Caller.of(ctx).userId(), from, Sse.nativeFormat(), null);
  }

  /** Stops the job and answers with its final state (a job leaves the batch within one decoding step). */
  private Future<JsonObject> stop(RoutingContext ctx) {
    return gen.stop(jobId(ctx), Caller.of(ctx).userId()).map(GenerationRoutes::found);
  }

  // ---- raw calls ----

  private void generate(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("prompt", "suffix", "model", "options", "stream"));
    JsonObject prompt = new JsonObject().put("prompt", body.requiredString("prompt", 0, maxContentChars));
    String suffix = body.optionalString("suffix", 0, maxContentChars);
    if (suffix != null) {
      prompt.put("suffix", suffix);
    }
    AnswerRequest req = AnswerRequest.prompt(Caller.of(ctx).userId(), prompt, body.optionalString("model", 1, 200),
        SamplingOptions.validate(body.optionalObject("options"), "options"), null, false);
    run(ctx, req, !Boolean.FALSE.equals(body.optionalBoolean("stream")), (done, started) -> new JsonObject()
        .put("jobId", done.getString("jobId")).put("model", done.getString("model")).put("response", done.getString("text"))
        .put("done", true).put("finishReason", done.getString("finishReason")).put("usage", done.getJsonObject("usage")));
  }

  private void chat(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("model", "messages", "system", "options", "chatId", "stream", "webSearch", "tools",
        "tool_choice"));
    JsonArray messages = validMessages(body.optionalArray("messages"), maxContentChars);
    String system = body.optionalString("system", 0, maxContentChars);
    if (system != null) {
      messages.add(0, new JsonObject().put("role", "system").put("content", system));
    }
    UUID chatId = body.optionalUuid("chatId");
    JsonObject last = messages.getJsonObject(messages.size() - 1);
    if (chatId != null && !"user".equals(last.getString("role")) && !"tool".equals(last.getString("role"))) {
      throw ApiError.badRequest("messages", "to save into a chat, the last message must be the user's (or a tool's result)");
    }
    Boolean web = body.optionalBoolean("webSearch");
    if (Boolean.TRUE.equals(web) && !"user".equals(last.getString("role"))) {
      throw ApiError.badRequest("messages", "a web search answers the last message, which must be the user's");
    }
    // tools as OpenAI's (a forced call follows a grammar); a thinking model's reasoning comes apart
    JsonObject extras = new JsonObject().put("reasoning", true);
    JsonObject openai = new JsonObject();
    Tools.offer(body, extras, openai);
    if (!openai.isEmpty()) {
      extras.put(AnswerRequest.OPENAI_SHARED, openai);
    }
    AnswerRequest req = AnswerRequest.conversation(Caller.of(ctx).userId(), messages, chatId, body.optionalString("model", 1, 200),
        SamplingOptions.validate(body.optionalObject("options"), "options"), web, extras, false);
    run(ctx, req, !Boolean.FALSE.equals(body.optionalBoolean("stream")), (done, started) -> {
      JsonObject message = new JsonObject().put("role", "assistant").put("content", done.getString("text"));
      JsonObject parts = done.getJsonObject("openai");
      if (parts != null && parts.getString("reasoning_content") != null) {
        message.put("thinking", parts.getString("reasoning_content"));
      }
      if (parts != null && parts.getJsonArray("tool_calls") != null) {
        message.put("tool_calls", parts.getJsonArray("tool_calls"));
      }
      JsonObject r = new JsonObject().put("jobId", done.getString("jobId")).put("model", done.getString("model"))
          .put("message", message)
          .put("done", true).put("finishReason", done.getString("finishReason")).put("usage", done.getJsonObject("usage"))
          .put("chatId", chatId == null ? null : chatId.toString()).put("messageId", done.getString("messageId"));
      if (started.found() != null) {
        r.put("sources", started.found().sources());
        if (started.found().error() != null) {
          r.put("searchError", started.found().error());
        }
      }
      return r;
    });
  }

  /** Starts the answer and responds with its SSE stream, or, with stream=false, with the finished result in {@code shape}. */
  private void run(RoutingContext ctx, AnswerRequest req, boolean stream,
                   java.util.function.BiFunction<JsonObject, ChatAnswers.Started, JsonObject> shape) {
    answers.start(req).onFailure(ctx::fail).onSuccess(started -> {
      JobRef job = started.job();
      if (stream) {
        // nothing is saved for a raw call, so a client that leaves takes its job with it
        Sse.stream(ctx, gen, job.id(), req.user(), 0, Sse.nativeFormat(), req.chatId() == null ? () -> gen.cancel(job.id()) : null);
      } else {
        gen.finished(job.id(), req.user()).onSuccess(done -> Responses.json(ctx, 200, shape.apply(done, started)));
      }
    });
  }

  /** A conversation from a request: at least one message, each {role, content}. */
  public static JsonArray validMessages(JsonArray raw, int maxChars) {
    if (raw == null || raw.isEmpty()) {
      throw ApiError.badRequest("messages", "messages must be a non-empty array of {role, content}");
    }
    JsonArray out = new JsonArray();
    for (int i = 0; i < raw.size(); i++) {
      String field = "messages[" + i + "]";
      if (!(raw.getValue(i) instanceof JsonObject m)) {
        throw ApiError.badRequest(field, field + " must be an object {role, content}");
      }
      Object role = m.getValue("role");
      if (!(role instanceof String r) || !ROLES.contains(r)) {
        throw ApiError.badRequest(field + ".role", field + ".role must be one of " + ROLES);
      }
      String content = Body.wrap(m).optionalString("content", 0, maxChars);
      if (content == null) {
        throw ApiError.badRequest(field + ".content", field + ".content must be a string");
      }
      JsonObject kept = new JsonObject().put("role", role).put("content", content);
      // what tool conversations carry: an assistant's calls, a tool result's call id and name
      Object calls = m.getValue("tool_calls");
      if (calls != null) {
        if (!(calls instanceof JsonArray list) || list.size() > 128
            || !list.stream().allMatch(c -> c instanceof JsonObject call && call.getValue("function") instanceof JsonObject)) {
          throw ApiError.badRequest(field + ".tool_calls", field + ".tool_calls must be an array of {id, type, function: {name, arguments}}");
        }
        kept.put("tool_calls", list.copy());
      }
      for (String key : new String[] {"tool_call_id", "name"}) {
        String v = Body.wrap(m).optionalString(key, 0, 1000);
        if (v != null) {
          kept.put(key, v);
        }
      }
      out.add(kept);
    }
    return out;
  }
}
