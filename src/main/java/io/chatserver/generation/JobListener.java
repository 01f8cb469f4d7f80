package io.chatserver.generation;

import io.vertx.core.json.JsonObject;

/**
 * Someone following a job through {@link GenerationService#follow}: its numbered deltas, then its
 * end. Called on the follower's own context, in order: {@link #start}, the deltas, {@link #done}.
 */
public interface JobListener {

  /** First, before any delta: which job, and whether it had already ended (its deltas and end follow at once then). */
  default void start(JobRef job, boolean done) {}

  /**
   * A delta. {@code extra} is null for most; else an upstream's OpenAI-only parts of it ({tool_calls,
   * logprobs, reasoning}) or, with empty text, an event before the text ({event: searching|...}).
   */
  void delta(long seq, String text, JsonObject extra);

  /** The end: {jobId, finishReason, status, text, usage, model, messageId?, error?, openai?}. */
  void done(long seq, JsonObject result);
}
