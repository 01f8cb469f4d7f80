package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Caller;
import io.chatserver.api.Responses;
import io.chatserver.bus.Addresses;
import io.chatserver.bus.HubFiles;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Model management for admins: {@code POST /api/admin/models/pull} downloads a Hugging Face model on
 * the worker nodes in the background and loads it (no restart); its progress (bytes and files)
 * streams over SSE at {@code /api/admin/models/pulls/{pullId}/stream} and reaches the admin's
 * browser over the bridge; {@code DELETE /api/admin/models/{name}} unloads a model and deletes it.
 */
public final class ModelAdminRoutes implements io.chatserver.api.Routes {

  private static final Pattern REPO = Pattern.compile("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$");
  private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9_.-]{0,63}$");

  private final Vertx vertx;
  private final Supplier<Future<JsonObject>> models;

  public ModelAdminRoutes(Vertx vertx, Supplier<Future<JsonObject>> models) {
    this.vertx = vertx;
    this.models = models;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/admin/models/pull").handler(Caller.requireAdmin()).handler(Responses.handle(202, this::pull));
    router.get("/api/admin/models/pulls/:pullId/stream").handler(Caller.requireAdmin()).handler(this::stream);
    router.delete("/api/admin/models/:name").handler(Caller.requireAdmin()).handler(Responses.handle(202, this::delete));
    // every worker node forgets its kept prefixes and compiled grammars (answers stay the same)
    router.post("/api/admin/models/caches/clear").handler(Caller.requireAdmin()).handler(Responses.handle(202, ctx -> {
      vertx.eventBus().publish(Addresses.MODELS_MANAGE, new JsonObject().put("op", "clear-caches"));
      return Future.succeededFuture(new JsonObject().put("clearing", true));
    }));
  }

  private Future<JsonObject> pull(RoutingContext ctx) {
    Body b = Body.of(ctx).only(Set.of("repo", "revision", "name", "file", "url"));
    String url = b.optionalString("url", 10, 2000);
    String repo;
    String revision;
    String file;
    if (url != null) {
      HubFiles.HubFile f;
      try {
        f = HubFiles.parseUrl(url);
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest("url", e.getMessage());
      }
      repo = f.repo();
      revision = f.revision();
      file = f.file();
    } else {
      repo = b.requiredString("repo", 3, 200);
      revision = b.optionalString("revision", 1, 100);
      file = b.optionalString("file", 1, 500);
    }
    if (!REPO.matcher(repo).matches()) {
      throw ApiError.badRequest("repo", "repo must look like org/name (a Hugging Face repository)");
    }
    if (file != null && !HubFiles.isGgufPath(file)) {
      throw ApiError.badRequest("file", "file must be the path of a .gguf file in the repository");
    }
    String name = b.optionalString("name", 1, 64);
    String base = file != null ? file.substring(file.lastIndexOf('/') + 1, file.length() - ".gguf".length())
        : repo.substring(repo.indexOf('/') + 1);
    String finalName = name != null ? name : base.toLowerCase().replaceAll("[^a-z0-9_.-]", "-");
    if (!NAME.matcher(finalName).matches()) {
      throw ApiError.badRequest("name", "name must be 1-64 characters of a-z, 0-9, '.', '_' and '-'");
    }
    return models.get().compose(list -> {
      if (list.getJsonArray("workers") != null && list.getJsonArray("workers").stream().noneMatch(w ->
          w instanceof JsonObject o && !o.getString("nodeId", "").startsWith("remote-"))) {
        return Future.failedFuture(new ApiError(503, "no_worker", "no worker node is up to pull the model onto"));
      }
      String pullId = UUID.randomUUID().toString();
      String user = Addresses.user(Caller.of(ctx).userId());
      // the pull's events so far, for streams opened later; only this request's context touches them
      List<JsonObject> seen = new ArrayList<>();
      MessageConsumer<JsonObject> events = vertx.eventBus().consumer(Addresses.modelPull(pullId), m -> {
        seen.add(m.body());
        vertx.eventBus().publish(user, m.body().copy().put("type", "model-pull")); // the admin's browser hears it too
      });
      MessageConsumer<JsonObject> replay = vertx.eventBus().consumer(Addresses.modelPullReplay(pullId),
          m -> m.reply(new JsonObject().put("events", new JsonArray(new ArrayList<>(seen)))));
      vertx.setTimer(3_600_000, t -> {
        events.unregister();
        replay.unregister();
      });
      return Future.all(events.completion(), replay.completion()).map(v -> {
        JsonObject op = new JsonObject().put("op", "pull").put("pullId", pullId)
            .put("repo", repo).put("revision", revision == null ? "main" : revision).put("name", finalName);
        if (file != null) {
          op.put("file", file);
        }
        vertx.eventBus().publish(Addresses.MODELS_MANAGE, op);
        return new JsonObject().put("pullId", pullId).put("name", finalName)
            .put("stream", "/api/admin/models/pulls/" + pullId + "/stream");
      });
    });
  }

  /**
   * The pull's events as SSE ({@code event: progress|ready|error}); ends at the first ready or
   * error. Live events are followed from the start, and what came before is asked of the API node
   * that started the pull; events are merged by (node, seq).
   */
  private void stream(RoutingContext ctx) {
    String pullId = ctx.pathParam("pullId");
    HttpServerResponse resp = ctx.response();
    java.util.Set<String> written = new java.util.HashSet<>();
    List<JsonObject> early = new ArrayList<>();
    boolean[] replayed = new boolean[1];
    Consumer<JsonObject> write = e -> {
      if (resp.ended() || resp.closed() || !written.add(e.getString("nodeId") + "#" + e.getLong("seq"))) {
        return;
      }
      String stage = e.getString("stage", "progress");
      String event = stage.equals("ready") || stage.equals("error") ? stage : "progress";
      String text = "event: " + event + "\ndata: " + e.encode() + "\n\n";
      if (event.equals("progress")) {
        resp.write(text);
      } else {
        resp.end(text);
      }
    };
    MessageConsumer<JsonObject> live = vertx.eventBus().consumer(Addresses.modelPull(pullId), m -> {
      if (replayed[0]) {
        write.accept(m.body());
      } else {
        early.add(m.body());
      }
    });
    resp.closeHandler(v -> live.unregister());
    resp.endHandler(v -> live.unregister());
    live.completion()
        .compose(v -> vertx.eventBus().<JsonObject>request(Addresses.modelPullReplay(pullId), new JsonObject(),
            new DeliveryOptions().setSendTimeout(3000)))
        .onFailure(e -> {
          live.unregister();
          ctx.fail(ApiError.notFound("pull"));
        })
        .onSuccess(reply -> {
          resp.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-store");
          replayed[0] = true;
          reply.body().getJsonArray("events", new JsonArray()).forEach(o -> write.accept((JsonObject) o));
          early.forEach(write);
          early.clear();
          if (!resp.headWritten()) {
            resp.write(": following\n\n"); // the head goes out now, not at the first event
          }
        });
  }

  private Future<JsonObject> delete(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (!NAME.matcher(name).matches()) {
      throw ApiError.badRequest("name", "not a model name");
    }
    return models.get().compose(list -> {
      boolean known = list.getJsonArray("models").stream().anyMatch(m -> m instanceof JsonObject o && name.equals(o.getString("name"))
          && !"upstream".equals(o.getString("origin")));
      if (!known) {
        return Future.failedFuture(ApiError.notFound("model"));
      }
      vertx.eventBus().publish(Addresses.MODELS_MANAGE, new JsonObject().put("op", "delete").put("name", name));
      return Future.succeededFuture(new JsonObject().put("name", name).put("deleting", true));
    });
  }
}
