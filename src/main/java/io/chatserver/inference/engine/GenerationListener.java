package io.chatserver.inference.engine;

/** Hears one job's output, on the scheduler thread. Implementations must not block. */
public interface GenerationListener {

  /** A text delta (whole UTF-8 characters) and the token count so far. */
  void onDelta(String text);

  /** The end: finish reason stop | length | cancelled | error, the full text, and usage. */
  void onFinish(Finish finish);

  /** How a job ended. {@code ttftMs} is the time from admission to the first token. */
  record Finish(String reason, String text, int promptTokens, int completionTokens, long ttftMs, double tokensPerSecond,
                String error) {}
}
