package io.chatserver.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code ?limit=&offset=} of a list request, validated. */
public record Paging(int limit, int offset) {

  public static Paging of(RoutingContext ctx, int defaultLimit, int maxLimit) {
    int limit = intParam(ctx, "limit", defaultLimit, 1, maxLimit);
    int offset = intParam(ctx, "offset", 0, 0, 1_000_000_000);
    return new Paging(limit, offset);
  }

  private static int intParam(RoutingContext ctx, String name, int dflt, int min, int max) {
    String raw = ctx.queryParams().get(name);
    if (raw == null || raw.isEmpty()) {
      return dflt;
    }
    try {
      int v = Integer.parseInt(raw);
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw ApiError.badRequest(name, name + " must be an integer between " + min + " and " + max);
  }

  public JsonObject wrap(JsonArray items, long total) {
    return new JsonObject().put("items", items).put("total", total).put("limit", limit).put("offset", offset);
  }
}
