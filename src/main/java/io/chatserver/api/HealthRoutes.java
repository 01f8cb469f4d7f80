package io.chatserver.api;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;

import java.util.function.BooleanSupplier;

/**
 * {@code /health}: the process answers. {@code /ready}: what this node's role needs works: the
 * database (API nodes), a live worker for the default model (API nodes), a loaded model (workers).
 */
public final class HealthRoutes {

  private final String role;
  private final Pool pool;
  private final BooleanSupplier workerAvailable;
  private final BooleanSupplier modelLoaded;
  private String nodeId;

  /** Any of pool / workerAvailable / modelLoaded may be null when the node's role has no such part. */
  public HealthRoutes(String role, Pool pool, BooleanSupplier workerAvailable, BooleanSupplier modelLoaded) {
    this.role = role;
    this.pool = pool;
    this.workerAvailable = workerAvailable;
    this.modelLoaded = modelLoaded;
  }

  /** The worker node id shown by /health (how operators and tests tell workers apart). */
  public HealthRoutes withNodeId(String id) {
    this.nodeId = id;
    return this;
  }

  public void mount(Router router) {
    router.get("/health").handler(ctx -> Responses.json(ctx, 200, new JsonObject().put("status", "ok").put("role", role)
        .put("nodeId", nodeId)));
    router.get("/ready").handler(ctx -> {
      Future<Boolean> db = pool == null ? Future.succeededFuture(null)
          : pool.query("SELECT 1").execute().map(rs -> true).otherwise(false);
      db.onComplete(ar -> {
        JsonObject checks = new JsonObject();
        boolean ok = true;
        if (pool != null) {
          checks.put("database", ar.result() ? "ok" : "unreachable");
          ok = ar.result();
        }
        if (workerAvailable != null) {
          boolean w = workerAvailable.getAsBoolean();
          checks.put("workers", w ? "ok" : "no live worker serves the default model");
          ok &= w;
        }
        if (modelLoaded != null) {
          boolean m = modelLoaded.getAsBoolean();
          checks.put("models", m ? "ok" : "no model loaded (yet)");
          ok &= m;
        }
        Responses.json(ctx, ok ? 200 : 503, new JsonObject().put("status", ok ? "ready" : "not_ready").put("role", role)
            .put("checks", checks));
      });
    });
  }
}
