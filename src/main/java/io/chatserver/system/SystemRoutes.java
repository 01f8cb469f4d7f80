package io.chatserver.system;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Caller;
import io.chatserver.api.ErrorHandler;
import io.chatserver.api.Responses;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;

/**
 * {@code GET /api/system/status} (anyone, no login: the page shows the banner before it), {@code PUT}
 * (admins), and the guard that refuses writes while the server is read-only.
 */
public final class SystemRoutes implements io.chatserver.api.Routes {

  public static final int MESSAGE_MAX = 500;
  /** Writes that go on in read-only mode: logging in and out (people must still read), and lifting the mode. */
  private static final Set<String> WRITES_ALLOWED_READ_ONLY = Set.of("/api/auth/login", "/api/auth/refresh", "/api/auth/logout",
      "/api/system/status");

  private final SystemStatus status;
  /** What this server offers that a client may show or hide ({webSearch}: a search provider is configured). */
  private final java.util.function.Supplier<JsonObject> features;

  public SystemRoutes(SystemStatus status, java.util.function.Supplier<JsonObject> features) {
    this.status = status;
    this.features = features;
  }

  /** Before the wall: the public status, and the read-only guard on every write. */
  public void mountPublic(Router router) {
    router.get("/api/system/status").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(status.current().copy().put("features", features.get()).encode()));
    router.route("/api/*").handler(this::guardWrites);
    router.route("/v1/*").handler(this::guardWrites);
  }

  /** Behind the wall: admins change the status. */
  @Override
  public void mount(Router router) {
    router.put("/api/system/status").handler(Caller.requireAdmin()).handler(Responses.handle(200, this::change));
  }

  private void guardWrites(RoutingContext ctx) {
    HttpMethod m = ctx.request().method();
    boolean write = m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.PATCH || m == HttpMethod.DELETE;
    ApiError refused = write && !WRITES_ALLOWED_READ_ONLY.contains(ctx.request().path()) ? status.refuseWrites() : null;
    if (refused != null) {
      ErrorHandler.send(ctx, refused);
    } else {
      ctx.next();
    }
  }

  private Future<JsonObject> change(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("mode", "message"));
    String modeName = body.requiredString("mode", 1, 20);
    SystemStatus.Mode mode = SystemStatus.Mode.parse(modeName);
    if (mode == null) {
      throw ApiError.badRequest("mode", "mode must be normal, maintenance or read-only");
    }
    String message = body.optionalString("message", 0, MESSAGE_MAX);
    return status.change(mode, message == null ? "" : message, Caller.of(ctx).userId());
  }
}
