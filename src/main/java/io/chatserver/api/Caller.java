package io.chatserver.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * The authenticated user of a request, put there by the authentication wall (auth.AuthHandler).
 * Every query is scoped to {@link #userId()}.
 */
public record Caller(UUID userId, String username, String role, UUID sessionId) {

  private static final String KEY = "caller";

  public boolean isAdmin() {
    return "admin".equals(role);
  }

  public void attach(RoutingContext ctx) {
    ctx.put(KEY, this);
  }

  /** A route handler that lets only admins through (403 for others). */
  public static Handler<RoutingContext> requireAdmin() {
    return ctx -> {
      if (!of(ctx).isAdmin()) {
        ctx.fail(ApiError.forbidden("this action needs the admin role"));
        return;
      }
      ctx.next();
    };
  }

  public static Caller of(RoutingContext ctx) {
    Caller c = ctx.get(KEY);
    if (c == null) {
      throw ApiError.unauthorized("authentication required");
    }
    return c;
  }
}
