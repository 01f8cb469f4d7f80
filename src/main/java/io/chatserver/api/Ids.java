package io.chatserver.api;

import io.vertx.ext.web.RoutingContext;

import java.util.UUID;
import java.util.regex.Pattern;

/** Parsing of resource ids (UUIDs) from paths, queries and bodies. */
public final class Ids {

  private static final Pattern UUID_TEXT =
      Pattern.compile("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");

  private Ids() {}

  public static UUID parse(String text, String field) {
    if (text == null || !UUID_TEXT.matcher(text).matches()) {
      throw ApiError.badRequest(field, field + " must be a UUID");
    }
    return UUID.fromString(text);
  }

  public static UUID pathParam(RoutingContext ctx, String name) {
    return parse(ctx.pathParam(name), name);
  }
}
