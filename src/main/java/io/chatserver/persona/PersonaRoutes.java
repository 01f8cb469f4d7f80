package io.chatserver.persona;

import io.chatserver.errors.Refusal;
import io.chatserver.api.Body;
import io.chatserver.api.Ids;
import io.chatserver.api.Paging;
import io.chatserver.api.Responses;
import io.chatserver.api.Caller;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;
import java.util.UUID;

/** CRUD over the caller's personas (saved system messages), plus a count. */
public final class PersonaRoutes implements io.chatserver.api.Routes {

  public static final int NAME_MAX = 100;
  public static final int CONTENT_MAX = 20_000;

  private final PersonaStore personas;

  public PersonaRoutes(PersonaStore personas) {
    this.personas = personas;
  }

  @Override
  public void mount(Router router) {
    router.get("/api/personas/count").handler(Responses.handle(200, this::count));
    router.get("/api/personas").handler(Responses.handle(200, this::list));
    router.post("/api/personas").handler(Responses.handle(201, this::create));
    router.get("/api/personas/:personaId").handler(Responses.handle(200, this::get));
    router.put("/api/personas/:personaId").handler(Responses.handle(200, this::update));
    router.delete("/api/personas/:personaId").handler(Responses.handle(204, this::delete));
  }

  private Future<JsonObject> count(RoutingContext ctx) {
    return personas.count(Caller.of(ctx).userId()).map(n -> new JsonObject().put("count", n));
  }

  private Future<JsonObject> list(RoutingContext ctx) {
    UUID user = Caller.of(ctx).userId();
    Paging page = Paging.of(ctx, 100, 1000);
    return personas.count(user).compose(total -> personas.list(user, page.limit(), page.offset())
        .map(items -> page.wrap(items, total)));
  }

  private Future<JsonObject> create(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("name", "content"));
    return personas.create(Caller.of(ctx).userId(), body.requiredString("name", 1, NAME_MAX),
        body.requiredString("content", 1, CONTENT_MAX));
  }

  private Future<JsonObject> get(RoutingContext ctx) {
    return personas.get(Caller.of(ctx).userId(), Ids.pathParam(ctx, "personaId")).map(PersonaRoutes::found);
  }

  private Future<JsonObject> update(RoutingContext ctx) {
    UUID id = Ids.pathParam(ctx, "personaId");
    Body body = Body.of(ctx).only(Set.of("name", "content"));
    String name = body.optionalString("name", 1, NAME_MAX);
    String content = body.optionalString("content", 1, CONTENT_MAX);
    if (name == null && content == null) {
      throw Refusal.invalid("name", "give name and/or content");
    }
    return personas.update(Caller.of(ctx).userId(), id, name, content).map(PersonaRoutes::found);
  }

  private Future<Void> delete(RoutingContext ctx) {
    return personas.delete(Caller.of(ctx).userId(), Ids.pathParam(ctx, "personaId"))
        .compose(ok -> ok ? Future.<Void>succeededFuture() : Future.failedFuture(Refusal.notFound("persona")));
  }

  private static JsonObject found(JsonObject p) {
    if (p == null) {
      throw Refusal.notFound("persona");
    }
    return p;
  }
}
