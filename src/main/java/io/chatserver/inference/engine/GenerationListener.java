package io.chatserver.inference.engine;

import io.chatserver.bus.FinishReason;

/** Hears one job's output, on the scheduler thread. Implementations must not block. */
public interface GenerationListener {

  /** A piece of the answer's text (whole characters; held back while it could still become a stop string). */
  void onDelta(String text);

  /**
   * A generated token with its log probability and the most likely alternatives (only for jobs
   * that asked for log probabilities), heard before the text it adds.
   */
  default void onToken(Token token) {
  }

  /** A token, its log probability under the model, and the top alternatives (ids and log probabilities, best first). */
  record Token(long id, double logprob, long[] topIds, double[] topLogprobs) {}

  /**
   * The end: why (STOP, LENGTH, CANCELLED or ERROR; TOOL_CALLS is the worker's to decide, from the
   * text), the full text, and usage.
   */
  void onFinish(Finish finish);

  /** How a job ended. {@code ttftMs} is the time from admission to the first token. */
  record Finish(FinishReason reason, String text, int promptTokens, int completionTokens, long ttftMs, double tokensPerSecond,
                String error) {}
}
