package io.chatserver.personality;

import io.chatserver.api.ApiError;
import io.chatserver.api.Responses;
import io.chatserver.api.Routes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** The personalities catalog: {@code GET /api/personalities?language=&category=}, its languages and categories, one by id. */
public final class PersonalityRoutes implements Routes {

  private final PersonalityCatalog catalog;

  public PersonalityRoutes(PersonalityCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public void mount(Router router) {
    router.get("/api/personalities").handler(Responses.handle(200, ctx -> Future.succeededFuture(
        new JsonObject().put("items", catalog.list(param(ctx, "language"), param(ctx, "category"))))));
    router.get("/api/personalities/languages").handler(Responses.handle(200, ctx -> Future.succeededFuture(
        new JsonObject().put("items", catalog.languages()))));
    router.get("/api/personalities/categories").handler(Responses.handle(200, ctx -> Future.succeededFuture(
        new JsonObject().put("items", catalog.categories(param(ctx, "language"))))));
    router.get("/api/personalities/:personalityId").handler(Responses.handle(200, ctx -> {
      JsonObject p = catalog.get(ctx.pathParam("personalityId"));
      if (p == null) {
        throw ApiError.notFound("personality");
      }
      return Future.succeededFuture(p);
    }));
  }

  private static String param(RoutingContext ctx, String name) {
    String v = ctx.queryParams().get(name);
    if (v != null && v.length() > 100) {
      throw ApiError.badRequest(name, name + " is too long");
    }
    return v == null || v.isBlank() ? null : v;
  }
}
