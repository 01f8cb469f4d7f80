package io.chatserver.generation;

import io.chatserver.chat.MessageStatus;
import io.chatserver.api.ErrorHandler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * Saves one job's text into its assistant message while it streams: every {@code flushTokens}
 * deltas and on every flush tick, and once at the end with the status and usage. Saves are chained,
 * so they never overtake each other. Each save writes the whole text so far, so one lost to a
 * database outage is made good by the next; the final one is retried with backoff while the
 * database cannot be reached (for up to {@link #FINAL_SAVE_PATIENCE_MS}), so an answer that streamed
 * through an outage is saved complete. Runs on the generation service's context.
 */
final class JobWriter {

  private static final Logger log = LoggerFactory.getLogger(JobWriter.class);

  /** How long the final save keeps trying while the database is down. */
  static final long FINAL_SAVE_PATIENCE_MS = 5 * 60_000;

  private final Vertx vertx;
  private final Job job;
  private final GenerationStore store;
  private final int flushTokens;
  private Future<Void> chain;
  private int unsaved;

  /** {@code ready} completes once the message exists (saves wait for it). */
  JobWriter(Vertx vertx, Job job, GenerationStore store, int flushTokens, Future<Void> ready) {
    this.vertx = vertx;
    this.job = job;
    this.store = store;
    this.flushTokens = flushTokens;
    this.chain = ready;
  }

  /** A delta arrived: save when enough have piled up. */
  void delta() {
    if (++unsaved >= flushTokens) {
      save();
    }
  }

  /** The flush interval passed: save what is pending. */
  void tick() {
    if (unsaved > 0) {
      save();
    }
  }

  private void save() {
    unsaved = 0;
    if (job.messageId == null) {
      return;
    }
    String snapshot = job.savedText();
    chain = chain.compose(v -> store.saveText(job.messageId, snapshot)).recover(e -> {
      if (ErrorHandler.databaseDown(e)) {
        log.warn("Job {}: the database is down; the next save writes this text too", job.id);
      } else {
        log.error("Job {}: saving text failed: {}", job.id, e.toString());
      }
      return Future.succeededFuture();
    });
  }

  /** The final save (text, status, usage, reasoning and tool calls) after every earlier one; completes when it is written. */
  Future<Void> finish(MessageStatus status, JsonObject usage) {
    unsaved = 0;
    String text = job.savedText();
    JsonObject extra = extra(job.openai);
    chain = chain.compose(v -> job.messageId == null ? Future.<Void>succeededFuture()
        : throughOutage(vertx, job.id, () -> store.finish(job.messageId, text, status, job.model, usage, extra)));
    return chain;
  }

  /** What a message keeps of an answer's OpenAI parts: {reasoning?, toolCalls?}, or null when it had neither. */
  static JsonObject extra(JsonObject openai) {
    if (openai == null) {
      return null;
    }
    JsonObject extra = new JsonObject();
    if (openai.getString("reasoning_content") != null) {
      extra.put("reasoning", openai.getString("reasoning_content"));
    }
    if (openai.getJsonArray("tool_calls") != null && !openai.getJsonArray("tool_calls").isEmpty()) {
      extra.put("toolCalls", openai.getJsonArray("tool_calls"));
    }
    return extra.isEmpty() ? null : extra;
  }

  /** A write, tried again with backoff (250 ms doubling to 5 s) while the database is down, for up to the patience. */
  static Future<Void> throughOutage(Vertx vertx, String jobId, Supplier<Future<Void>> write) {
    return retried(vertx, jobId, write, 250, System.currentTimeMillis() + FINAL_SAVE_PATIENCE_MS);
  }

  private static Future<Void> retried(Vertx vertx, String jobId, Supplier<Future<Void>> write, long delayMs, long deadline) {
    return write.get().recover(e -> {
      if (!ErrorHandler.databaseDown(e) || System.currentTimeMillis() + delayMs > deadline) {
        return Future.failedFuture(e);
      }
      log.warn("Job {}: the database is down; writing again in {} ms", jobId, delayMs);
      Promise<Void> again = Promise.promise();
      vertx.setTimer(delayMs, t -> retried(vertx, jobId, write, Math.min(5_000, delayMs * 2), deadline).onComplete(again));
      return again.future();
    });
  }
}
