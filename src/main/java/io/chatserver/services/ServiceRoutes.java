package io.chatserver.services;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Caller;
import io.chatserver.api.Ids;
import io.chatserver.api.Responses;
import io.chatserver.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Admin management of upstream services: {@code /api/admin/services[/{id}]} (CRUD, the API key
 * write-only) and {@code POST .../{id}/test} (lists what the service serves, or says why not).
 * Every change is published so each node's remote workers reload without a restart.
 */
public final class ServiceRoutes implements io.chatserver.api.Routes {

  private static final Pattern NAME = Pattern.compile("^[a-z0-9-]{1,50}$");
  private static final Set<String> FIELDS = Set.of("name", "baseUrl", "apiKey", "enabled", "models", "timeoutMs",
      "maxConcurrent", "headers");

  private final Vertx vertx;
  private final ServiceStore store;
  private final HttpClient http;

  public ServiceRoutes(Vertx vertx, ServiceStore store) {
    this.vertx = vertx;
    this.store = store;
    this.http = vertx.createHttpClient();
  }

  @Override
  public void mount(Router router) {
    router.get("/api/admin/services").handler(Caller.requireAdmin()).handler(Responses.handle(200, ctx -> store.list()
        .map(list -> new JsonObject().put("items", new JsonArray(list.stream().map(UpstreamService::toJson).toList())))));
    router.post("/api/admin/services").handler(Caller.requireAdmin()).handler(Responses.handle(201, this::create));
    router.get("/api/admin/services/:serviceId").handler(Caller.requireAdmin())
        .handler(Responses.handle(200, ctx -> find(ctx).map(UpstreamService::toJson)));
    router.put("/api/admin/services/:serviceId").handler(Caller.requireAdmin()).handler(Responses.handle(200, this::update));
    router.delete("/api/admin/services/:serviceId").handler(Caller.requireAdmin()).handler(Responses.handle(204, ctx ->
        store.delete(Ids.pathParam(ctx, "serviceId")).compose(ok -> ok ? changed(null) : Future.failedFuture(ApiError.notFound("service")))
            .mapEmpty()));
    router.post("/api/admin/services/:serviceId/test").handler(Caller.requireAdmin()).handler(Responses.handle(200, this::test));
  }

  private Future<UpstreamService> find(RoutingContext ctx) {
    UUID id = Ids.pathParam(ctx, "serviceId");
    return store.get(id).map(s -> {
      if (s == null) {
        throw ApiError.notFound("service");
      }
      return s;
    });
  }

  private Future<JsonObject> create(RoutingContext ctx) {
    ServiceStore.Fields f = fields(Body.of(ctx).only(FIELDS), true);
    return store.create(f).compose(this::changed).map(UpstreamService::toJson);
  }

  private Future<JsonObject> update(RoutingContext ctx) {
    UUID id = Ids.pathParam(ctx, "serviceId");
    ServiceStore.Fields f = fields(Body.of(ctx).only(FIELDS), false);
    return store.update(id, f).compose(s -> s == null ? Future.failedFuture(ApiError.notFound("service")) : changed(s))
        .map(UpstreamService::toJson);
  }

  /** Calls the service's /models with its key: what it serves, or a clear error (502) naming it. */
  private Future<JsonObject> test(RoutingContext ctx) {
    return find(ctx).compose(s -> Upstream.models(http, s, store.instanceId())
        .map(l -> {
          JsonObject r = new JsonObject().put("service", s.name()).put("ok", true).put("models", new JsonArray(l.ids()));
          if (l.self()) {
            r.put("warning", "service " + s.name() + " is this same server: its key must belong to a user who does not chat"
                + " through it (with the key of the user asking, an answer waits for itself), with enough concurrent answers"
                + " for everyone it serves");
          }
          return r;
        })
        .recover(e -> Future.failedFuture(new ApiError(502, "upstream_error", "service " + s.name() + ": " + e.getMessage()))));
  }

  private <T> Future<T> changed(T value) {
    vertx.eventBus().publish(Addresses.SERVICES_CHANGED, new JsonObject());
    return Future.succeededFuture(value);
  }

  private static ServiceStore.Fields fields(Body b, boolean creating) {
    String name = creating ? b.requiredString("name", 1, 50) : b.optionalString("name", 1, 50);
    if (name != null && !NAME.matcher(name).matches()) {
      throw ApiError.badRequest("name", "name must be 1-50 characters of a-z, 0-9 and '-'");
    }
    String baseUrl = creating ? b.requiredString("baseUrl", 1, 500) : b.optionalString("baseUrl", 1, 500);
    if (baseUrl != null) {
      baseUrl = baseUrl.replaceAll("/+$", "");
      try {
        URI u = URI.create(baseUrl);
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
          throw new IllegalArgumentException();
        }
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest("baseUrl", "baseUrl must be an http(s) URL, the service's OpenAI root (ending in /v1)");
      }
    }
    boolean keySet = b.has("apiKey");
    String key = b.optionalString("apiKey", 1, 1000);
    JsonArray models = b.optionalArray("models");
    if (models != null && !models.stream().allMatch(m -> m instanceof String s && !s.isBlank() && s.length() <= 200)) {
      throw ApiError.badRequest("models", "models must be a list of model ids");
    }
    Long timeout = b.optionalLong("timeoutMs", 1000, 600_000);
    Long max = b.optionalLong("maxConcurrent", 1, 1000);
    JsonObject headers = b.optionalObject("headers");
    if (headers != null && !headers.stream().allMatch(e -> e.getValue() instanceof String
        && !e.getKey().equalsIgnoreCase("authorization"))) {
      throw ApiError.badRequest("headers", "headers must map names to strings (the key goes in apiKey, not Authorization)");
    }
    return new ServiceStore.Fields(name, baseUrl, keySet, key, b.optionalBoolean("enabled"), models, b.has("models"),
        timeout == null ? null : timeout.intValue(), max == null ? null : max.intValue(), headers);
  }
}
