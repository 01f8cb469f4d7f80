package io.chatserver.inference.engine;

import io.chatserver.bus.SamplingOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One sequence's sampling parameters. temperature 0 is greedy (argmax); otherwise top_k, top_p and
 * min_p filter the distribution and a per-sequence random generator seeded with {@code seed} draws,
 * so the same seed and parameters give the same text whatever else is in the batch.
 * {@code logprobs} asks for each chosen token's log probability and that many alternatives (-1:
 * none); {@code ignoreEos} keeps generating past end-of-sequence tokens (for tests and benchmarks);
 * {@code keepSpecial} keeps special tokens in the text (tool-call markers).
 */
public record SamplingParams(double temperature, int topK, double topP, double minP, double repeatPenalty,
                             int repeatLastN, long seed, int maxTokens, List<String> stop, int logprobs, boolean ignoreEos,
                             boolean keepSpecial) {

  /** The most alternatives a token's log probabilities can list (vLLM's and OpenAI's limit). */
  public static final int MAX_LOGPROBS = 20;

  public SamplingParams(double temperature, int topK, double topP, double minP, double repeatPenalty, int repeatLastN, long seed,
                        int maxTokens, List<String> stop) {
    this(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, maxTokens, stop, -1, false, false);
  }

  public static final double DEFAULT_TEMPERATURE = 0.8;
  public static final int DEFAULT_TOP_K = 40;
  public static final double DEFAULT_TOP_P = 0.95;
  public static final double DEFAULT_MIN_P = 0.05;
  public static final int DEFAULT_REPEAT_LAST_N = 64;
  public static final int DEFAULT_MAX_TOKENS = io.chatserver.bus.SamplingOptions.DEFAULT_MAX_TOKENS;

  public static SamplingParams greedy(int maxTokens) {
    return new SamplingParams(0, 0, 1, 0, 1, 0, 0, maxTokens, List.of());
  }

  /** Parses (and validates, 400-style) the JSON options of a job; absent keys take the defaults above. */
  public static SamplingParams fromJson(JsonObject options) {
    JsonObject o = SamplingOptions.validate(options == null ? new JsonObject() : options, "options");
    List<String> stop = new ArrayList<>();
    JsonArray s = o.getJsonArray("stop");
    if (s != null) {
      s.forEach(x -> stop.add((String) x));
    }
    Long seed = o.getLong("seed");
    return new SamplingParams(
        o.getDouble("temperature", DEFAULT_TEMPERATURE),
        o.getInteger("top_k", DEFAULT_TOP_K),
        o.getDouble("top_p", DEFAULT_TOP_P),
        o.getDouble("min_p", DEFAULT_MIN_P),
        o.getDouble("repeat_penalty", 1.0),
        o.getInteger("repeat_last_n", DEFAULT_REPEAT_LAST_N),
        seed != null ? seed : ThreadLocalRandom.current().nextLong(),
        o.getInteger("max_tokens", DEFAULT_MAX_TOKENS),
        List.copyOf(stop));
  }

  public boolean greedy() {
    return temperature <= 0;
  }

  public SamplingParams withStop(List<String> more) {
    List<String> all = new ArrayList<>(stop);
    more.stream().filter(x -> !all.contains(x)).forEach(all::add);
    return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, maxTokens, List.copyOf(all),
        logprobs, ignoreEos, keepSpecial);
  }

  /** The same with log probabilities ({@code top} alternatives, -1 for none) and EOS ignored or not. */
  public SamplingParams withLogprobs(int top, boolean ignoreEos) {
    return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, maxTokens, stop,
        Math.min(top, MAX_LOGPROBS), ignoreEos, keepSpecial);
  }

  /** The same with special tokens kept in the text (a tool call's markers may be special tokens). */
  public SamplingParams withSpecialTokens() {
    return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, maxTokens, stop, logprobs, ignoreEos,
        true);
  }
}
