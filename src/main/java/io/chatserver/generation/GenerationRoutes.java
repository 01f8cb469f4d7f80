package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Ids;
import io.chatserver.api.Responses;
import io.chatserver.api.Caller;
import io.chatserver.chat.ChatStore;
import io.chatserver.chat.MessageStatus;
import io.chatserver.bus.SamplingOptions;
import io.chatserver.user.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
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
  private final ChatStore chats;
  private final UserStore users;
  private final int maxContentChars;

  public GenerationRoutes(GenerationService gen, ChatAnswers answers, ChatStore chats, UserStore users, int maxContentChars) {
    this.gen = gen;
    this.answers = answers;
    this.chats = chats;
    this.users = users;
    this.maxContentChars = maxContentChars;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/chats/:chatId/messages/:messageId/regenerate").handler(Responses.handle(201, this::regenerate));
    router.post("/api/chats/:chatId/messages/:messageId/continue").handler(Responses.handle(200, this::continueMessage));
    router.get("/api/jobs/:jobId").handler(Responses.handle(200, this::jobStatus));
    router.get("/api/jobs/:jobId/stream").handler(this::stream);
    router.post("/api/jobs/:jobId/stop").handler(Responses.handle(200, this::stop));
    router.post("/api/generate").handler(this::generate);
    router.post("/api/chat").handler(this::chat);
  }

  // ---- chats ----

  private Future<JsonObject> regenerate(RoutingContext ctx) {
    return answers.regenerate(onMessage(ctx));
  }

  private Future<JsonObject> continueMessage(RoutingContext ctx) {
    return answers.continueAnswer(onMessage(ctx));
  }

  private static ChatAnswers.OnMessage onMessage(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("model", "options", "webSearch"));
    return new ChatAnswers.OnMessage(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"), Ids.pathParam(ctx, "messageId"),
        body.optionalString("model", 1, 200), SamplingOptions.validate(body.optionalObject("options"), "options"),
        body.optionalBoolean("webSearch"));
  }

  // ---- jobs ----

  /** The caller's job (started on this API node or another), or 404. */
  private Future<Job> ownJob(RoutingContext ctx) {
    String id = ctx.pathParam("jobId");
    Ids.parse(id, "jobId");
    return gen.find(id, Caller.of(ctx).userId()).map(job -> {
      if (job == null) {
        throw ApiError.notFound("job");
      }
      return job;
    });
  }

  private Future<JsonObject> jobStatus(RoutingContext ctx) {
    return ownJob(ctx).map(job -> {
      JsonObject out = new JsonObject().put("jobId", job.id).put("model", job.model).put("done", job.isDone())
          .put("text", job.text()).put("deltas", job.deltaCount())
          .put("messageId", job.messageId() == null ? null : job.messageId().toString()).put("worker", job.workerNode());
      if (job.isDone()) {
        out.put("result", job.result());
      }
      return out;
    });
  }

  private void stream(RoutingContext ctx) {
    long from = Sse.resumeFrom(ctx);
    ownJob(ctx).onFailure(ctx::fail).onSuccess(job -> Sse.stream(ctx, job, from, Sse.NATIVE));
  }

  /** Stops the job and answers with its final state (a job leaves the batch within one decoding step). */
  private Future<JsonObject> stop(RoutingContext ctx) {
    return ownJob(ctx).compose(job -> {
      if (!job.isDone()) {
        gen.stop(job);
      }
      return job.finished().map(r -> r.copy().put("jobId", job.id));
    });
  }

  // ---- raw calls ----

  private void generate(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("prompt", "suffix", "model", "options", "stream"));
    UUID user = Caller.of(ctx).userId();
    String prompt = body.requiredString("prompt", 0, maxContentChars);
    String suffix = body.optionalString("suffix", 0, maxContentChars);
    JsonObject options = SamplingOptions.validate(body.optionalObject("options"), "options");
    boolean stream = !Boolean.FALSE.equals(body.optionalBoolean("stream"));
    JsonObject payload = new JsonObject().put("prompt", prompt);
    if (suffix != null) {
      payload.put("suffix", suffix);
    }
    run(ctx, user, body.optionalString("model", 1, 200), payload, options, stream, false, null, done -> new JsonObject()
        .put("jobId", done.getString("jobId")).put("model", done.getString("model")).put("response", done.getString("text"))
        .put("done", true).put("finishReason", done.getString("finishReason")).put("usage", done.getJsonObject("usage")));
  }

  private void chat(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("model", "messages", "system", "options", "chatId", "stream", "webSearch"));
    UUID user = Caller.of(ctx).userId();
    JsonArray messages = validMessages(body.optionalArray("messages"), maxContentChars);
    String system = body.optionalString("system", 0, maxContentChars);
    if (system != null) {
      messages.add(0, new JsonObject().put("role", "system").put("content", system));
    }
    JsonObject options = SamplingOptions.validate(body.optionalObject("options"), "options");
    boolean stream = !Boolean.FALSE.equals(body.optionalBoolean("stream"));
    UUID chatId = body.optionalUuid("chatId");
    JsonObject last = messages.getJsonObject(messages.size() - 1);
    if (chatId != null && !"user".equals(last.getString("role"))) {
      throw ApiError.badRequest("messages", "to save into a chat, the last message must be the user's");
    }
    boolean web = Boolean.TRUE.equals(body.optionalBoolean("webSearch"));
    if (web && !"user".equals(last.getString("role"))) {
      throw ApiError.badRequest("messages", "a web search answers the last message, which must be the user's");
    }
    if (web) {
      answers.requireWebSearch();
    }
    String question = last.getString("content");
    String requestedModel = body.optionalString("model", 1, 200);
    Future.all(answers.searched(web, user, chatId, question), web ? answers.searchBudget(requestedModel) : Future.succeededFuture(0))
        .onFailure(ctx::fail).onSuccess(both -> {
      io.chatserver.search.WebSearch.Outcome found = both.resultAt(0);
      JsonArray forModel = messages.copy();
      if (found != null) {
        forModel.getJsonObject(forModel.size() - 1).put("content", io.chatserver.search.WebSearch.prompt(question, found,
            both.<Integer>resultAt(1)));
      }
      java.util.function.Function<Job, Future<Void>> save = chatId == null ? null : job -> chats.get(user, chatId)
          .compose(chat -> {
            if (chat == null) {
              return Future.failedFuture(new ApiError(404, "not_found", "chat not found", "chatId"));
            }
            String leaf = chat.getString("currentLeafId");
            return chats.addChain(user, chatId, leaf == null ? null : UUID.fromString(leaf), List.of(
                new ChatStore.NewMessage("user", question, MessageStatus.DONE, null),
                new ChatStore.NewMessage("assistant", "", MessageStatus.STREAMING, job.model, job.id)))
                .compose(list -> answers.keepSources(list.get(1).id(), found)
                    .map(v -> {
                      job.messageId = list.get(1).id();
                      return (Void) null;
                    }));
          });
      run(ctx, user, body.optionalString("model", 1, 200), new JsonObject().put("messages", forModel), options, stream, true, save,
          found == null ? null : found.events(),
          done -> {
            JsonObject r = new JsonObject().put("jobId", done.getString("jobId")).put("model", done.getString("model"))
                .put("message", new JsonObject().put("role", "assistant").put("content", done.getString("text")))
                .put("done", true).put("finishReason", done.getString("finishReason")).put("usage", done.getJsonObject("usage"))
                .put("chatId", chatId == null ? null : chatId.toString()).put("messageId", done.getString("messageId"));
            if (found != null) {
              r.put("sources", found.sources());
              if (found.error() != null) {
                r.put("searchError", found.error());
              }
            }
            return r;
          });
    });
  }

  /** Starts a job and answers with its SSE stream, or, with stream=false, with the finished result. */
  private void run(RoutingContext ctx, UUID user, String model, JsonObject payload, JsonObject options, boolean stream,
                   boolean trimLeading, java.util.function.Function<Job, Future<Void>> save,
                   java.util.function.Function<JsonObject, JsonObject> shape) {
    run(ctx, user, model, payload, options, stream, trimLeading, save, null, shape);
  }

  /** As above, with events that lead the stream (a web search's progress). */
  private void run(RoutingContext ctx, UUID user, String model, JsonObject payload, JsonObject options, boolean stream,
                   boolean trimLeading, java.util.function.Function<Job, Future<Void>> save, JsonArray preamble,
                   java.util.function.Function<JsonObject, JsonObject> shape) {
    users.profile(user)
        .compose(profile -> gen.resolveModel(model, profile.getString("preferredModel")).compose(m ->
            gen.start(new GenerationService.Spec(user, m, payload,
                profile.getJsonObject("settings", new JsonObject()).copy().mergeIn(options), trimLeading,
                save != null ? save : job -> Future.succeededFuture(), preamble))))
        .onFailure(ctx::fail)
        .onSuccess(job -> {
          if (stream) {
            // nothing is saved for a raw call, so a client that leaves takes its job with it
            Sse.stream(ctx, job, 0, Sse.NATIVE, save == null ? () -> gen.stop(job) : null);
          } else {
            job.finished().onSuccess(done -> Responses.json(ctx, 200, shape.apply(done)));
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
