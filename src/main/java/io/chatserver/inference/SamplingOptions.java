package io.chatserver.inference;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * The sampling parameters a user can set (as defaults in their settings, or per request), with
 * their ranges. One definition for the profile API, the generation API and the worker.
 */
public final class SamplingOptions {

  public static final Set<String> KEYS = Set.of("temperature", "top_k", "top_p", "min_p", "max_tokens", "n_predict",
      "repeat_penalty", "repeat_last_n", "seed", "num_ctx", "stop");

  public static final int MAX_TOKENS_LIMIT = 1 << 20;

  private SamplingOptions() {}

  /**
   * Validates {@code options} and returns a normalised copy ({@code n_predict} becomes
   * {@code max_tokens}). Errors are 400s naming {@code prefix.key}.
   */
  public static JsonObject validate(JsonObject options, String prefix) {
    JsonObject out = new JsonObject();
    if (options == null) {
      return out;
    }
    for (String key : options.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw ApiError.badRequest(prefix + "." + key, "unknown sampling option '" + key + "'; known: " + KEYS);
      }
    }
    Body b = Body.wrap(options);
    try {
      put(out, "temperature", b.optionalDouble("temperature", 0, 100));
      put(out, "top_k", b.optionalLong("top_k", 0, 1_000_000));
      put(out, "top_p", b.optionalDouble("top_p", 0, 1));
      put(out, "min_p", b.optionalDouble("min_p", 0, 1));
      Long maxTokens = b.optionalLong("max_tokens", 1, MAX_TOKENS_LIMIT);
      Long nPredict = b.optionalLong("n_predict", -1, MAX_TOKENS_LIMIT);
      if (nPredict != null && nPredict == 0) {
        throw ApiError.badRequest("n_predict", "n_predict must be -1 (no limit) or at least 1");
      }
      put(out, "max_tokens", maxTokens != null ? maxTokens : nPredict != null && nPredict > 0 ? nPredict : null);
      put(out, "repeat_penalty", b.optionalDouble("repeat_penalty", 0.01, 100));
      put(out, "repeat_last_n", b.optionalLong("repeat_last_n", -1, 1_000_000));
      put(out, "seed", b.optionalLong("seed", Long.MIN_VALUE, Long.MAX_VALUE));
      put(out, "num_ctx", b.optionalLong("num_ctx", 16, 10_000_000));
      Object stop = options.getValue("stop");
      if (stop != null) {
        JsonArray list = stop instanceof String s ? new JsonArray().add(s) : stop instanceof JsonArray a ? a : null;
        if (list == null || list.size() > 16 || !list.stream().allMatch(x -> x instanceof String s && !s.isEmpty() && s.length() <= 200)) {
          throw ApiError.badRequest("stop", "stop must be a string or an array of at most 16 non-empty strings of at most 200 characters");
        }
        out.put("stop", list.copy());
      }
    } catch (ApiError e) {
      throw ApiError.badRequest(prefix + "." + e.field(), e.getMessage());
    }
    return out;
  }

  private static void put(JsonObject out, String key, Object value) {
    if (value != null) {
      out.put(key, value);
    }
  }
}
