package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Ids;
import io.chatserver.api.Responses;
import io.chatserver.auth.AuthHandler;
import io.chatserver.auth.Caller;
import io.chatserver.chat.ChatStore;
import io.chatserver.chat.Message;
import io.chatserver.chat.MessageTree;
import io.chatserver.inference.SamplingOptions;
import io.chatserver.user.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Generation over HTTP: answers in chats (new message, regenerate, continue), the job stream (SSE),
 * stop, the raw {@code /api/generate} and {@code /api/chat} calls, and usage statistics.
 */
public final class GenerationRoutes {

  private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

  private final GenerationService gen;
  private final ChatStore chats;
  private final UserStore users;
  private final int maxContentChars;

  public GenerationRoutes(GenerationService gen, ChatStore chats, UserStore users, int maxContentChars) {
    this.gen = gen;
    this.chats = chats;
    this.users = users;
    this.maxContentChars = maxContentChars;
  }

  /** Mounted before the chat routes: a message post with "generate": true is handled here. */
  public void mount(Router router) {
    router.post("/api/chats/:chatId/messages").handler(this::maybeGenerate);
    router.post("/api/chats/:chatId/messages/:messageId/regenerate").handler(Responses.handle(201, this::regenerate));
    router.post("/api/chats/:chatId/messages/:messageId/continue").handler(Responses.handle(200, this::continueMessage));
    router.get("/api/jobs/:jobId").handler(Responses.handle(200, this::jobStatus));
    router.get("/api/jobs/:jobId/stream").handler(this::stream);
    router.post("/api/jobs/:jobId/stop").handler(Responses.handle(200, this::stop));
    router.post("/api/generate").handler(this::generate);
    router.post("/api/chat").handler(this::chat);
    router.get("/api/users/me/usage").handler(Responses.handle(200, this::myUsage));
    router.get("/api/admin/usage").handler(AuthHandler.requireAdmin()).handler(Responses.handle(200, this::allUsage));
  }

  // ---- chats ----

  private void maybeGenerate(RoutingContext ctx) {
    Body body = Body.of(ctx);
    if (!Boolean.TRUE.equals(body.optionalBoolean("generate"))) {
      ctx.next();
      return;
    }
    Responses.handle(201, c -> answerNewMessage(c, body)).handle(ctx);
  }

  private Future<JsonObject> answerNewMessage(RoutingContext ctx, Body raw) {
    Body body = raw.only(Set.of("parentId", "role", "content", "generate", "model", "options"));
    if (body.has("role") && body.optionalEnum("role", Set.of("user")) == null) {
      throw ApiError.badRequest("role", "a message that asks for an answer must have role 'user'");
    }
    return answer(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"), body);
  }

  /**
   * Adds the user's message and starts the answer ({@code body}: content, parentId?, model?,
   * options?). Shared by the HTTP route and the SockJS bridge. The messages are created only once a
   * worker accepted the job, so a refusal (429, 503, 504) leaves nothing behind.
   */
  public Future<JsonObject> answer(UUID user, UUID chatId, Body body) {
    String content = body.requiredString("content", 1, maxContentChars);
    boolean explicit = body.has("parentId");
    UUID parentId = body.optionalUuid("parentId");
    JsonObject options = SamplingOptions.validate(body.optionalObject("options"), "options");
    String model = body.optionalString("model", 1, 200);
    return chats.tree(user, chatId).compose(ct -> {
      UUID parent = explicit ? parentId : ct.currentLeafId();
      Message p = parent == null ? null : ct.tree().get(parent);
      if (parent != null && p == null) {
        throw new ApiError(404, "not_found", "parent message not found in this chat", "parentId");
      }
      List<Message> path = p == null ? List.of() : ct.tree().pathTo(p);
      JsonObject[] userMessage = new JsonObject[1];
      return prepare(user, ct.chat(), path, model, options).compose(prep -> {
        JsonArray messages = prep.messages().add(new JsonObject().put("role", "user").put("content", content));
        return gen.start(new GenerationService.Spec(user, prep.model(), new JsonObject().put("messages", messages)
            .put("chatId", chatId.toString()),
            prep.options(), true, job -> chats.addChain(user, chatId, parent, List.of(
                new ChatStore.NewMessage("user", content, "done", null),
                new ChatStore.NewMessage("assistant", "", "streaming", prep.model(), job.id)))
            .map(list -> {
              userMessage[0] = list.get(0).toJson();
              job.messageId = list.get(1).id();
              return null;
            })));
      }).map(job -> started(job).put("message", userMessage[0]));
    });
  }

  private Future<JsonObject> regenerate(RoutingContext ctx) {
    OnMessage r = onMessage(ctx);
    UUID user = r.user();
    UUID chatId = r.chatId();
    return r.target(chats).compose(ct -> {
      MessageTree tree = ct.tree();
      Message target = tree.get(r.messageId());
      Message parent = target.role().equals("assistant")
          ? (target.parentId() == null ? null : tree.get(target.parentId())) : target;
      if (parent == null) {
        throw ApiError.unprocessable("this assistant message has nothing before it to answer");
      }
      List<Message> path = tree.pathTo(parent);
      return prepare(user, ct.chat(), path, r.model(), r.options()).compose(prep -> gen.start(new GenerationService.Spec(user,
          prep.model(), new JsonObject().put("messages", prep.messages()).put("chatId", chatId.toString())
              .put("messageId", r.messageId().toString()), prep.options(), true,
          job -> chats.addChain(user, chatId, parent.id(), List.of(new ChatStore.NewMessage("assistant", "", "streaming",
              prep.model(), job.id))).map(list -> {
                job.messageId = list.get(0).id();
                return null;
              }))))
          .map(this::started);
    });
  }

  private Future<JsonObject> continueMessage(RoutingContext ctx) {
    OnMessage r = onMessage(ctx);
    UUID user = r.user();
    UUID chatId = r.chatId();
    return r.target(chats).compose(ct -> {
      MessageTree tree = ct.tree();
      Message target = tree.get(r.messageId());
      if (!target.role().equals("assistant") || target.status().equals("streaming")) {
        throw ApiError.unprocessable("only a finished assistant message can be continued");
      }
      Message parent = target.parentId() == null ? null : tree.get(target.parentId());
      List<Message> path = parent == null ? List.of() : tree.pathTo(parent);
      return prepare(user, ct.chat(), path, r.model() != null ? r.model() : target.model(), r.options())
          .compose(prep -> gen.start(new GenerationService.Spec(user, prep.model(), new JsonObject()
              .put("messages", prep.messages()).put("assistantPrefix", target.content()).put("chatId", chatId.toString())
              .put("messageId", r.messageId().toString()), prep.options(), false,
              job -> chats.markStreaming(user, chatId, r.messageId(), job.id).map(m -> {
                job.messageId = m.id();
                job.baseContent = target.content();
                return null;
              }))))
          .map(this::started);
    });
  }

  /** A request about one message of a chat, with optional model and options (regenerate, continue). */
  private record OnMessage(UUID user, UUID chatId, UUID messageId, String model, JsonObject options) {
    /** The chat's tree, once the message is known to be in it (404 otherwise). */
    Future<ChatStore.ChatAndTree> target(ChatStore chats) {
      return chats.tree(user, chatId).map(ct -> {
        if (ct.tree().get(messageId) == null) {
          throw ApiError.notFound("message");
        }
        return ct;
      });
    }
  }

  private static OnMessage onMessage(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("model", "options"));
    return new OnMessage(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"), Ids.pathParam(ctx, "messageId"),
        body.optionalString("model", 1, 200), SamplingOptions.validate(body.optionalObject("options"), "options"));
  }

  /** The conversation before the answer (system prompt first), the model and the options for a chat job. */
  private record Prepared(String model, JsonArray messages, JsonObject options) {}

  private Future<Prepared> prepare(UUID user, JsonObject chat, List<Message> path, String model, JsonObject options) {
    return users.profile(user).compose(profile -> gen.resolveModel(model, profile.getString("preferredModel")).map(m -> {
      JsonArray messages = new JsonArray();
      String system = chat.getString("systemMessage") != null ? chat.getString("systemMessage") : profile.getString("systemPrompt");
      if (system != null && !system.isBlank()) {
        messages.add(new JsonObject().put("role", "system").put("content", system));
      }
      for (Message msg : path) {
        if (!(msg.role().equals("assistant") && msg.content().isEmpty())) {
          messages.add(new JsonObject().put("role", msg.role()).put("content", msg.content()));
        }
      }
      return new Prepared(m, messages, profile.getJsonObject("settings", new JsonObject()).copy().mergeIn(options));
    }));
  }

  private JsonObject started(Job job) {
    return new JsonObject().put("jobId", job.id).put("model", job.model)
        .put("assistantMessageId", job.messageId() == null ? null : job.messageId().toString())
        .put("stream", "/api/jobs/" + job.id + "/stream");
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
    Body body = Body.of(ctx).only(Set.of("model", "messages", "system", "options", "chatId", "stream"));
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
    java.util.function.Function<Job, Future<Void>> save = chatId == null ? null : job -> chats.get(user, chatId)
        .compose(chat -> {
          if (chat == null) {
            return Future.failedFuture(new ApiError(404, "not_found", "chat not found", "chatId"));
          }
          String leaf = chat.getString("currentLeafId");
          return chats.addChain(user, chatId, leaf == null ? null : UUID.fromString(leaf), List.of(
              new ChatStore.NewMessage("user", last.getString("content"), "done", null),
              new ChatStore.NewMessage("assistant", "", "streaming", job.model, job.id))).map(list -> {
                job.messageId = list.get(1).id();
                return null;
              });
        });
    run(ctx, user, body.optionalString("model", 1, 200), new JsonObject().put("messages", messages), options, stream, true, save,
        done -> new JsonObject().put("jobId", done.getString("jobId")).put("model", done.getString("model"))
            .put("message", new JsonObject().put("role", "assistant").put("content", done.getString("text")))
            .put("done", true).put("finishReason", done.getString("finishReason")).put("usage", done.getJsonObject("usage"))
            .put("chatId", chatId == null ? null : chatId.toString()).put("messageId", done.getString("messageId")));
  }

  /** Starts a job and answers with its SSE stream, or, with stream=false, with the finished result. */
  private void run(RoutingContext ctx, UUID user, String model, JsonObject payload, JsonObject options, boolean stream,
                   boolean trimLeading, java.util.function.Function<Job, Future<Void>> save,
                   java.util.function.Function<JsonObject, JsonObject> shape) {
    users.profile(user)
        .compose(profile -> gen.resolveModel(model, profile.getString("preferredModel")).compose(m ->
            gen.start(new GenerationService.Spec(user, m, payload,
                profile.getJsonObject("settings", new JsonObject()).copy().mergeIn(options), trimLeading,
                save != null ? save : job -> Future.succeededFuture()))))
        .onFailure(ctx::fail)
        .onSuccess(job -> {
          if (stream) {
            if (save == null) {
              // nothing is saved for a raw call, so a client that leaves takes its job with it
              ctx.response().closeHandler(v -> {
                if (!job.isDone()) {
                  gen.stop(job);
                }
              });
            }
            Sse.stream(ctx, job, 0, Sse.NATIVE);
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
      out.add(new JsonObject().put("role", role).put("content", content));
    }
    return out;
  }

  // ---- usage ----

  private Future<JsonObject> myUsage(RoutingContext ctx) {
    LocalDate[] range = range(ctx);
    return gen.store().usage(Caller.of(ctx).userId(), range[0], range[1]).map(items -> withTotals(items, range));
  }

  private Future<JsonObject> allUsage(RoutingContext ctx) {
    LocalDate[] range = range(ctx);
    return gen.store().usage(null, range[0], range[1]).map(items -> withTotals(items, range));
  }

  private static JsonObject withTotals(JsonArray items, LocalDate[] range) {
    long requests = 0;
    long prompt = 0;
    long completion = 0;
    for (Object o : items) {
      JsonObject r = (JsonObject) o;
      requests += r.getLong("requests");
      prompt += r.getLong("promptTokens");
      completion += r.getLong("completionTokens");
    }
    return new JsonObject().put("from", range[0].toString()).put("to", range[1].toString()).put("items", items)
        .put("totals", new JsonObject().put("requests", requests).put("promptTokens", prompt).put("completionTokens", completion));
  }

  /** ?from=&to= as ISO dates; the last 30 days by default. */
  private static LocalDate[] range(RoutingContext ctx) {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    LocalDate to = date(ctx, "to", today);
    LocalDate from = date(ctx, "from", to.minusDays(29));
    if (from.isAfter(to)) {
      throw ApiError.badRequest("from", "from must not be after to");
    }
    return new LocalDate[] {from, to};
  }

  private static LocalDate date(RoutingContext ctx, String name, LocalDate dflt) {
    String v = ctx.queryParams().get(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return LocalDate.parse(v);
    } catch (DateTimeParseException e) {
      throw ApiError.badRequest(name, name + " must be a date like 2026-01-31");
    }
  }
}
