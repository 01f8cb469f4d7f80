package io.chatserver.generation;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One generation as the API side sees it: every delta streamed so far (so any client can resume
 * from any sequence number, also after the end), the final result, and who is listening. Owned by
 * the {@link GenerationService}'s context: it is created, changed, read and ended there only (no
 * locks). Everyone else holds a {@link JobRef}, reads a {@link JobSnapshot} or follows it with a
 * {@link JobListener}, through the service.
 */
final class Job {

  final String id;
  final UUID userId;
  final String model;
  /** The assistant message the text is saved into (null for jobs that are not saved in a chat). */
  UUID messageId;
  /** Text the saved message had before this job (continue), prepended when saving. */
  String baseContent = "";
  final boolean trimLeading;
  private final List<String> deltas = new ArrayList<>();
  /** The OpenAI-only parts of each delta (null for most), by the delta's index. */
  private final List<JsonObject> extras = new ArrayList<>();
  private int events;
  private final StringBuilder text = new StringBuilder();
  private final List<JobListener> listeners = new ArrayList<>();
  private final Promise<JsonObject> finished = Promise.promise();
  private JsonObject result;
  long lastWorkerMessageAt = System.currentTimeMillis();
  /** What was sent to the worker, kept for a retry on another worker. */
  JsonObject payload;
  JsonObject options;
  String workerNode;
  int attempt;
  /** Saves the text while it streams (null for a mirror). */
  JobWriter writer;
  /** The end is being saved: no second end, no failover. */
  boolean ending;
  int promptTokens;
  /** The OpenAI-only parts of the whole answer an upstream gave ({tool_calls, logprobs}), or null. */
  JsonObject openai;

  Job(String id, UUID userId, String model, boolean trimLeading) {
    this.id = id;
    this.userId = userId;
    this.model = model;
    this.trimLeading = trimLeading;
  }

  JobRef ref() {
    return new JobRef(id, userId, model, messageId, baseContent);
  }

  JobSnapshot snapshot() {
    return new JobSnapshot(ref(), isDone(), text.toString(), deltas.size(), workerNode, result == null ? null : result.copy());
  }

  /** Records a delta (leading whitespace of an answer is dropped) and tells the listeners. */
  void append(String delta) {
    append(delta, null);
  }

  /** As above, with the OpenAI-only parts an upstream sent beside it (a delta of only those is kept too). */
  void append(String delta, JsonObject extra) {
    String d = delta;
    if (trimLeading && text.length() == 0) {
      d = d.stripLeading();
    }
    if (d.isEmpty() && extra == null) {
      return;
    }
    deltas.add(d);
    extras.add(extra);
    text.append(d);
    long seq = deltas.size();
    for (JobListener s : List.copyOf(listeners)) {
      s.delta(seq, d, extra);
    }
  }

  /** An event before the text (web search progress): a delta with no text, numbered like the others. */
  void event(JsonObject event) {
    events++;
    append("", event);
  }

  /** The text deltas so far (the events before them not counted). */
  int textDeltas() {
    return deltas.size() - events;
  }

  /** Every delta so far (for a replay to another API node). */
  JsonArray deltas() {
    return new JsonArray(new ArrayList<>(deltas));
  }

  /** Ends the job: {@code result} holds finishReason, status, usage, error; listeners are told and dropped. */
  void finish(JsonObject result) {
    if (this.result != null) {
      return;
    }
    this.result = result.put("jobId", id);
    if (!this.result.containsKey("text")) {
      this.result.put("text", text.toString());
    }
    long seq = deltas.size() + 1L;
    for (JobListener s : List.copyOf(listeners)) {
      s.done(seq, this.result.copy());
    }
    listeners.clear();
    finished.complete(this.result);
  }

  /** Replays deltas after {@code from} to the listener, then keeps it informed (or ends it at once). */
  void subscribe(long from, JobListener s) {
    for (int i = (int) Math.max(0, from); i < deltas.size(); i++) {
      s.delta(i + 1L, deltas.get(i), extras.get(i));
    }
    if (result != null) {
      s.done(deltas.size() + 1L, result.copy());
    } else {
      listeners.add(s);
    }
  }

  void unsubscribe(JobListener s) {
    listeners.remove(s);
  }

  boolean isDone() {
    return result != null;
  }

  JsonObject result() {
    return result;
  }

  /** Completes with the result, on this context, when the job ends. */
  Future<JsonObject> finished() {
    return finished.future();
  }

  String text() {
    return text.toString();
  }

  int deltaCount() {
    return deltas.size();
  }

  /** The saved text: what the message had before, plus everything streamed. */
  String savedText() {
    return baseContent + text;
  }
}
