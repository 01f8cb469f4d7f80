package io.chatserver.quota;

import io.chatserver.errors.Refusal;
import io.chatserver.api.Body;
import io.chatserver.api.Caller;
import io.chatserver.api.Ids;
import io.chatserver.api.Responses;
import io.chatserver.api.Routes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;
import java.util.UUID;

/** {@code GET /api/users/me/quota}; admins read and set any user's ({@code /api/admin/users/{id}/quota}). */
public final class QuotaRoutes implements Routes {

  private final Quotas quotas;

  public QuotaRoutes(Quotas quotas) {
    this.quotas = quotas;
  }

  @Override
  public void mount(Router router) {
    router.get("/api/users/me/quota").handler(Responses.handle(200, ctx -> describe(Caller.of(ctx).userId())));
    router.get("/api/admin/users/:userId/quota").handler(Caller.requireAdmin())
        .handler(Responses.handle(200, ctx -> describe(Ids.pathParam(ctx, "userId"))));
    router.put("/api/admin/users/:userId/quota").handler(Caller.requireAdmin()).handler(Responses.handle(200, this::set));
  }

  private Future<JsonObject> describe(UUID user) {
    return quotas.describe(user).map(q -> {
      if (q == null) {
        throw Refusal.notFound("user");
      }
      return q;
    });
  }

  private Future<JsonObject> set(RoutingContext ctx) {
    UUID user = Ids.pathParam(ctx, "userId");
    Body body = Body.of(ctx).only(Set.of("tokensPerDay", "requestsPerMinute"));
    Long tokens = body.optionalLong("tokensPerDay", 1, Integer.MAX_VALUE);
    Long rpm = body.optionalLong("requestsPerMinute", 1, 1_000_000);
    return quotas.set(user, tokens == null ? null : tokens.intValue(), rpm == null ? null : rpm.intValue())
        .compose(ok -> ok ? describe(user) : Future.failedFuture(Refusal.notFound("user")));
  }
}
