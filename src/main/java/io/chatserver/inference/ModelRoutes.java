package io.chatserver.inference;

import io.chatserver.api.Responses;
import io.chatserver.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/** {@code GET /api/models}: the models the workers hold, with their status, and how to add one when there is none. */
public final class ModelRoutes {

  private final Vertx vertx;

  public ModelRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  public void mount(Router router) {
    router.get("/api/models").handler(Responses.handle(200, ctx -> list()));
  }

  public Future<JsonObject> list() {
    return vertx.eventBus().<JsonObject>request(Addresses.MODELS, new JsonObject(), new DeliveryOptions().setSendTimeout(3000))
        .map(m -> m.body())
        .recover(e -> Future.succeededFuture(new JsonObject().put("models", new JsonArray()).put("hint", ModelCatalog.HOW_TO_ADD)));
  }
}
