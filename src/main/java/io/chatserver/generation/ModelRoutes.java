package io.chatserver.generation;

import io.chatserver.api.Responses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

import java.util.function.Supplier;

/** {@code GET /api/models}: the models the live workers hold, with their status, and how to add one when there is none. */
public final class ModelRoutes implements io.chatserver.api.Routes {

  private final Supplier<Future<JsonObject>> models;

  public ModelRoutes(Supplier<Future<JsonObject>> models) {
    this.models = models;
  }

  @Override
  public void mount(Router router) {
    router.get("/api/models").handler(Responses.handle(200, ctx -> models.get().map(list -> {
      JsonObject out = list.copy();
      out.remove("reachable");
      if (out.getJsonArray("models").isEmpty()) {
        out.put("hint", io.chatserver.bus.ModelStatus.HOW_TO_ADD);
      }
      return out;
    })));
  }
}
