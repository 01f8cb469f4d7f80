package io.chatserver.auth;

import io.chatserver.api.ApiError;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/** The authenticated user of a request, set by {@link AuthHandler}. Every query is scoped to {@link #userId()}. */
public record Caller(UUID userId, String username, String role, UUID sessionId) {

  private static final String KEY = "caller";

  public boolean isAdmin() {
    return "admin".equals(role);
  }

  void attach(RoutingContext ctx) {
    ctx.put(KEY, this);
  }

  public static Caller of(RoutingContext ctx) {
    Caller c = ctx.get(KEY);
    if (c == null) {
      throw ApiError.unauthorized("authentication required");
    }
    return c;
  }
}
