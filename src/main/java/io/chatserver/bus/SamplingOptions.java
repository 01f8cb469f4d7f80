package io.chatserver.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * The {@code options} of a job: the sampling parameters a user can set (as defaults in their
 * settings, or per request), with their ranges. One definition for the profile API, the generation
 * API, imports and the worker; a broken rule is an {@link InvalidField} naming {@code prefix.key}.
 */
public final class SamplingOptions {

  public static final Set<String> KEYS = Set.of("temperature", "top_k", "top_p", "min_p", "max_tokens", "n_predict",
      "repeat_penalty", "repeat_last_n", "seed", "num_ctx", "stop");

  public static final int MAX_TOKENS_LIMIT = 1 << 20;

  /** The answer length when neither the request nor the user's settings say (max_tokens). */
  public static final int DEFAULT_MAX_TOKENS = 512;

  private SamplingOptions() {}

  /** Validates {@code options} and returns a normalised copy ({@code n_predict} becomes {@code max_tokens}). */
  public static JsonObject validate(JsonObject options, String prefix) {
    JsonObject out = new JsonObject();
    if (options == null) {
      return out;
    }
    for (String key : options.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw new InvalidField(prefix + "." + key, "unknown sampling option '" + key + "'; known: " + KEYS);
      }
    }
    Fields f = new Fields(options, prefix);
    put(out, "temperature", f.number("temperature", 0, 100));
    put(out, "top_k", f.integer("top_k", 0, 1_000_000));
    put(out, "top_p", f.number("top_p", 0, 1));
    put(out, "min_p", f.number("min_p", 0, 1));
    Long maxTokens = f.integer("max_tokens", 1, MAX_TOKENS_LIMIT);
    Long nPredict = f.integer("n_predict", -1, MAX_TOKENS_LIMIT);
    if (nPredict != null && nPredict == 0) {
      throw new InvalidField(prefix + ".n_predict", "n_predict must be -1 (no limit) or at least 1");
    }
    put(out, "max_tokens", maxTokens != null ? maxTokens : nPredict != null && nPredict > 0 ? nPredict : null);
    put(out, "repeat_penalty", f.number("repeat_penalty", 0.01, 100));
    put(out, "repeat_last_n", f.integer("repeat_last_n", -1, 1_000_000));
    put(out, "seed", f.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE));
    put(out, "num_ctx", f.integer("num_ctx", 16, 10_000_000));
    Object stop = options.getValue("stop");
    if (stop != null) {
      JsonArray list = stop instanceof String s ? new JsonArray().add(s) : stop instanceof JsonArray a ? a : null;
      if (list == null || list.size() > 16 || !list.stream().allMatch(x -> x instanceof String s && !s.isEmpty() && s.length() <= 200)) {
        throw new InvalidField(prefix + ".stop", "stop must be a string or an array of at most 16 non-empty strings of at most 200 characters");
      }
      out.put("stop", list.copy());
    }
    return out;
  }

  private static void put(JsonObject out, String key, Object value) {
    if (value != null) {
      out.put(key, value);
    }
  }

  /** Typed, ranged reads of the options' numbers. */
  private record Fields(JsonObject json, String prefix) {
    Long integer(String field, long min, long max) {
      Object v = json.getValue(field);
      if (v == null) {
        return null;
      }
      if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || Double.isInfinite(n.doubleValue())) {
        throw new InvalidField(prefix + "." + field, field + " must be an integer");
      }
      java.math.BigDecimal exact = n instanceof java.math.BigDecimal b ? b : n instanceof java.math.BigInteger bi
          ? new java.math.BigDecimal(bi) : java.math.BigDecimal.valueOf(n.longValue());
      if (exact.compareTo(java.math.BigDecimal.valueOf(min)) < 0 || exact.compareTo(java.math.BigDecimal.valueOf(max)) > 0) {
        throw new InvalidField(prefix + "." + field, field + " must be between " + min + " and " + max); // 2^64 does not wrap
      }
      return n.longValue();
    }

    Double number(String field, double min, double max) {
      Object v = json.getValue(field);
      if (v == null) {
        return null;
      }
      if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
        throw new InvalidField(prefix + "." + field, field + " must be a number");
      }
      double d = n.doubleValue();
      if (d < min || d > max) {
        throw new InvalidField(prefix + "." + field, field + " must be between " + min + " and " + max);
      }
      return d;
    }
  }
}
