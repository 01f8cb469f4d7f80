package io.chatserver.inference.engine;

import io.chatserver.bus.FinishReason;
/**
 * What a {@link BatchScheduler} tells about its work, for metrics: called on the scheduler's own
 * thread, so an implementation must be quick and must not block.
 */
public interface SchedulerObserver {

  SchedulerObserver NONE = new SchedulerObserver() {};

  /** A sequence left the queue for its prefill, after waiting {@code queueNanos}. */
  default void admitted(long queueNanos) {}

  /** A prompt was looked up among the kept prefixes: whether one was reused, and how many of its tokens it covered. */
  default void prefixQuery(boolean hit, int promptTokens, int reusedTokens) {}

  /** A sequence's first token, {@code ttftNanos} after it was submitted, with its prompt length. */
  default void firstToken(long ttftNanos, int promptTokens) {}

  /** One decode step of {@code batch} sequences took {@code stepNanos} (each of them waited that long for its next token). */
  default void step(int batch, long stepNanos) {}

  /** A sequence ended ({@code reason}: stop, length, cancelled, error) after {@code e2eNanos}, with {@code generated} tokens. */
  default void finished(FinishReason reason, int generated, long e2eNanos) {}
}
