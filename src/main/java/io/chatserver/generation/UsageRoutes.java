package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.api.Responses;
import io.chatserver.api.Caller;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/** Token usage per model and day: the caller's ({@code /api/users/me/usage}) and everyone's (admins). */
public final class UsageRoutes implements io.chatserver.api.Routes {

  private final GenerationStore store;

  public UsageRoutes(GenerationStore store) {
    this.store = store;
  }

  @Override
  public void mount(Router router) {
    router.get("/api/users/me/usage").handler(Responses.handle(200, this::myUsage));
    router.get("/api/admin/usage").handler(Caller.requireAdmin()).handler(Responses.handle(200, this::allUsage));
  }

  private Future<JsonObject> myUsage(RoutingContext ctx) {
    LocalDate[] range = range(ctx);
    return store.usage(Caller.of(ctx).userId(), range[0], range[1]).map(items -> withTotals(items, range));
  }

  private Future<JsonObject> allUsage(RoutingContext ctx) {
    LocalDate[] range = range(ctx);
    return store.usage(null, range[0], range[1]).map(items -> withTotals(items, range));
  }

  private static JsonObject withTotals(JsonArray items, LocalDate[] range) {
    long requests = 0;
    long prompt = 0;
    long completion = 0;
    for (Object o : items) {
      JsonObject r = (JsonObject) o;
      requests += r.getLong("requests");
      prompt += r.getLong("promptTokens");
      completion += r.getLong("completionTokens");
    }
    return new JsonObject().put("from", range[0].toString()).put("to", range[1].toString()).put("items", items)
        .put("totals", new JsonObject().put("requests", requests).put("promptTokens", prompt).put("completionTokens", completion));
  }

  /** ?from=&to= as ISO dates; the last 30 days by default. */
  private static LocalDate[] range(RoutingContext ctx) {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    LocalDate to = date(ctx, "to", today);
    LocalDate from = date(ctx, "from", to.minusDays(29));
    if (from.isAfter(to)) {
      throw ApiError.badRequest("from", "from must not be after to");
    }
    return new LocalDate[] {from, to};
  }

  private static LocalDate date(RoutingContext ctx, String name, LocalDate dflt) {
    String v = ctx.queryParams().get(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    LocalDate d;
    try {
      d = LocalDate.parse(v);
    } catch (DateTimeParseException e) {
      throw ApiError.badRequest(name, name + " must be a date like 2026-01-31");
    }
    if (d.getYear() < 1970 || d.getYear() > 9999) {
      throw ApiError.badRequest(name, name + " must be a date between 1970-01-01 and 9999-12-31");
    }
    return d;
  }
}
