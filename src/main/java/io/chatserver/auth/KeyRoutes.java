package io.chatserver.auth;

import io.chatserver.api.Caller;
import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Ids;
import io.chatserver.api.Responses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

import java.util.Set;

/** {@code /api/users/me/keys}: create (the key is shown once), list and revoke API keys. */
public final class KeyRoutes implements io.chatserver.api.Routes {

  private final ApiKeyStore keys;

  public KeyRoutes(ApiKeyStore keys) {
    this.keys = keys;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/users/me/keys").handler(Responses.handle(201, ctx -> {
      Body body = Body.of(ctx).only(Set.of("name", "expiresInDays"));
      String name = body.optionalString("name", 1, 100);
      Long days = body.optionalLong("expiresInDays", 1, 3650);
      return keys.create(AuthRoutes.requireSession(ctx).userId(), name == null ? "API key" : name,
          days == null ? null : days.intValue());
    }));
    router.get("/api/users/me/keys").handler(Responses.handle(200, ctx -> keys.list(Caller.of(ctx).userId())
        .map(items -> new JsonObject().put("items", items))));
    router.delete("/api/users/me/keys/:keyId").handler(Responses.handle(204, ctx -> keys.revoke(Caller.of(ctx).userId(),
        Ids.pathParam(ctx, "keyId")).compose(ok -> ok ? Future.<Void>succeededFuture() : Future.failedFuture(ApiError.notFound("key")))));
  }
}
