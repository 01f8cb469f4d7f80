package io.chatserver.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;

/** {@code /health}: the process answers; {@code /ready}: and its database does too. */
public final class HealthRoutes {

  private final Pool pool;

  public HealthRoutes(Pool pool) {
    this.pool = pool;
  }

  public void mount(Router router) {
    router.get("/health").handler(ctx -> Responses.json(ctx, 200, new JsonObject().put("status", "ok")));
    router.get("/ready").handler(ctx -> pool.query("SELECT 1").execute().onComplete(ar -> {
      JsonObject checks = new JsonObject().put("database", ar.succeeded() ? "ok" : "unreachable");
      Responses.json(ctx, ar.succeeded() ? 200 : 503,
          new JsonObject().put("status", ar.succeeded() ? "ready" : "not_ready").put("checks", checks));
    }));
  }
}
