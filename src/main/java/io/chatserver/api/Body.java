package io.chatserver.api;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;
import java.util.UUID;

/**
 * A request's JSON object body with typed, validating getters. Every getter fails with a 400
 * naming the field, so handlers never see a value of the wrong type or size.
 */
public final class Body {

  private final JsonObject json;

  private Body(JsonObject json) {
    this.json = json;
  }

  /** The body as a JSON object; an empty body is an empty object. */
  public static Body of(RoutingContext ctx) {
    String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      return new Body(new JsonObject());
    }
    Object value;
    try {
      value = Json.decodeValue(text);
    } catch (DecodeException e) {
      throw new ApiError(400, "invalid_json", "request body is not valid JSON");
    }
    if (!(value instanceof JsonObject obj)) {
      throw new ApiError(400, "invalid_json", "request body must be a JSON object");
    }
    return new Body(obj);
  }

  public static Body wrap(JsonObject json) {
    return new Body(json);
  }

  public JsonObject json() {
    return json;
  }

  public boolean has(String field) {
    return json.containsKey(field);
  }

  public boolean isNull(String field) {
    return json.containsKey(field) && json.getValue(field) == null;
  }

  /** Rejects fields outside {@code allowed}, so a typo is an error rather than silently ignored. */
  public Body only(Set<String> allowed) {
    for (String key : json.fieldNames()) {
      if (!allowed.contains(key)) {
        throw ApiError.badRequest(key, "unknown field '" + key + "'");
      }
    }
    return this;
  }

  public String requiredString(String field, int min, int max) {
    String s = optionalString(field, min, max);
    if (s == null) {
      throw ApiError.badRequest(field, field + " is required");
    }
    return s;
  }

  /** Whether a JSON number is a whole number a long holds (2^64 does not wrap around to 0). */
  public static boolean fitsLong(Number n) {
    java.math.BigDecimal d = n instanceof java.math.BigDecimal b ? b : n instanceof java.math.BigInteger bi
        ? new java.math.BigDecimal(bi) : java.math.BigDecimal.valueOf(n.doubleValue());
    return d.compareTo(java.math.BigDecimal.valueOf(Long.MIN_VALUE)) >= 0 && d.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) <= 0;
  }

  /** A string of {@code min..max} characters, or null when absent or JSON null. */
  public String optionalString(String field, int min, int max) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw ApiError.badRequest(field, field + " must be a string");
    }
    String problem = io.chatserver.errors.TextRules.problem(field, s, min, max);
    if (problem != null) {
      throw ApiError.badRequest(field, problem);
    }
    return s;
  }

  public Boolean optionalBoolean(String field) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Boolean b)) {
      throw ApiError.badRequest(field, field + " must be true or false");
    }
    return b;
  }

  public Long optionalLong(String field, long min, long max) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || v instanceof Double && Double.isInfinite((Double) v)) {
      throw ApiError.badRequest(field, field + " must be an integer");
    }
    if (!fitsLong(n)) {
      throw ApiError.badRequest(field, field + " must be between " + min + " and " + max);
    }
    long l = n.longValue();
    if (l < min || l > max) {
      throw ApiError.badRequest(field, field + " must be between " + min + " and " + max);
    }
    return l;
  }

  public Double optionalDouble(String field, double min, double max) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      throw ApiError.badRequest(field, field + " must be a number");
    }
    double d = n.doubleValue();
    if (d < min || d > max) {
      throw ApiError.badRequest(field, field + " must be between " + min + " and " + max);
    }
    return d;
  }

  public UUID optionalUuid(String field) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw ApiError.badRequest(field, field + " must be a UUID string");
    }
    return Ids.parse(s, field);
  }

  public JsonObject optionalObject(String field) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject o)) {
      throw ApiError.badRequest(field, field + " must be an object");
    }
    return o;
  }

  public JsonArray optionalArray(String field) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonArray a)) {
      throw ApiError.badRequest(field, field + " must be an array");
    }
    return a;
  }

  /** One of a fixed set of strings. */
  public String optionalEnum(String field, Set<String> values) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s) || !values.contains(s)) {
      throw ApiError.badRequest(field, field + " must be one of " + values);
    }
    return s;
  }
}
