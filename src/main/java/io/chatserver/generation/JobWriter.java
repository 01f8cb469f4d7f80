package io.chatserver.generation;

import io.chatserver.chat.MessageStatus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves one job's text into its assistant message while it streams: every {@code flushTokens}
 * deltas and on every flush tick, and once at the end with the status and usage. Saves are chained,
 * so they never overtake each other. Runs on the generation service's context.
 */
final class JobWriter {

  private static final Logger log = LoggerFactory.getLogger(JobWriter.class);

  private final Job job;
  private final GenerationStore store;
  private final int flushTokens;
  private Future<Void> chain;
  private int unsaved;

  /** {@code ready} completes once the message exists (saves wait for it). */
  JobWriter(Job job, GenerationStore store, int flushTokens, Future<Void> ready) {
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
      log.error("Job {}: saving text failed: {}", job.id, e.toString());
      return Future.succeededFuture();
    });
  }

  /** The final save (text, status, usage) after every earlier one; completes when it is written. */
  Future<Void> finish(MessageStatus status, JsonObject usage) {
    unsaved = 0;
    String text = job.savedText();
    chain = chain.compose(v -> job.messageId == null ? Future.<Void>succeededFuture()
        : store.finish(job.messageId, text, status, job.model, usage));
    return chain;
  }
}
