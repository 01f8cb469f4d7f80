package io.chatserver.inference.engine;

/** Hears one job's output, on the scheduler thread. Implementations must not block. */
public interface GenerationListener {

  /** A text delta (whole UTF-8 characters) and the token count so far. */
  void onDelta(String text);

  /**
   * A generated token with its log probability and the most likely alternatives (only for jobs
   * that asked for log probabilities), heard before the text it adds.
   */
  default void onToken(Token token) {
  }

  /** A token, its log probability under the model, and the top alternatives (ids and log probabilities, best first). */
  record Token(long id, double logprob, long[] topIds, double[] topLogprobs) {}

  /** The end: finish reason stop | length | cancelled | error, the full text, and usage. */
  void onFinish(Finish finish);

  /** How a job ended. {@code ttftMs} is the time from admission to the first token. */
  record Finish(String reason, String text, int promptTokens, int completionTokens, long ttftMs, double tokensPerSecond,
                String error) {}
}
