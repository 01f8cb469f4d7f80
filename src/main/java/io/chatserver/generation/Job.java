package io.chatserver.generation;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One generation as the API side sees it: every delta streamed so far (so any client can resume
 * from any sequence number, also after the end), the final result, and who is listening. It changes
 * only on the context of the service that owns it (GenerationService, or a mirror's); readers on
 * other event loops (SSE, the bridge) go through its synchronized methods.
 */
public final class Job {

  /** Something that wants the job's events: deltas with their sequence number, then the end. */
  public interface Subscriber {
    void delta(long seq, String text);

    /**
     * A delta with the OpenAI-only parts an upstream gave beside the text ({tool_calls, logprobs}),
     * or null; only the OpenAI face uses them.
     */
    default void delta(long seq, String text, JsonObject extra) {
      delta(seq, text);
    }

    void done(long seq, JsonObject result);
  }

  public final String id;
  public final UUID userId;
  public final String model;
  /** The assistant message the text is saved into (null for jobs that are not saved in a chat). */
  UUID messageId;
  /** Text the saved message had before this job (continue), prepended when saving. */
  String baseContent = "";
  final boolean trimLeading;
  final long createdAt = System.currentTimeMillis();
  private final List<String> deltas = new ArrayList<>();
  /** The OpenAI-only parts of each delta (null for most), by the delta's index. */
  private final List<JsonObject> extras = new ArrayList<>();
  private int events;
  private final StringBuilder text = new StringBuilder();
  private final List<Subscriber> subscribers = new ArrayList<>();
  private final Promise<JsonObject> finished = Promise.promise();
  private JsonObject result;
  long lastWorkerMessageAt = System.currentTimeMillis();
  /** What was sent to the worker, kept for a retry on another worker. */
  JsonObject payload;
  JsonObject options;
  volatile String workerNode;
  volatile int attempt;
  /** Saves the text while it streams (set by GenerationService; null for a mirror). */
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

  /** Records a delta (leading whitespace of an answer is dropped) and tells the subscribers. */
  synchronized void append(String delta) {
    append(delta, null);
  }

  /** As above, with the OpenAI-only parts an upstream sent beside it (a delta of only those is kept too). */
  synchronized void append(String delta, JsonObject extra) {
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
    for (Subscriber s : List.copyOf(subscribers)) {
      s.delta(seq, d, extra);
    }
  }

  /** An event before the text (web search progress): a delta with no text, numbered like the others. */
  synchronized void event(JsonObject event) {
    events++;
    append("", event);
  }

  /** The text deltas so far (the events before them not counted). */
  synchronized int textDeltas() {
    return deltas.size() - events;
  }

  /** Every delta so far (for a replay to another API node). */
  synchronized io.vertx.core.json.JsonArray deltas() {
    return new io.vertx.core.json.JsonArray(new ArrayList<>(deltas));
  }

  /** Ends the job: {@code result} holds finishReason, status, usage, error; subscribers are told and dropped. */
  synchronized void finish(JsonObject result) {
    if (this.result != null) {
      return;
    }
    this.result = result.put("jobId", id);
    if (!this.result.containsKey("text")) {
      this.result.put("text", text.toString());
    }
    long seq = deltas.size() + 1L;
    for (Subscriber s : List.copyOf(subscribers)) {
      s.done(seq, this.result);
    }
    subscribers.clear();
    finished.complete(this.result);
  }

  /** Replays deltas after {@code from} to the subscriber, then keeps it informed (or ends it at once). */
  public synchronized void subscribe(long from, Subscriber s) {
    for (int i = (int) Math.max(0, from); i < deltas.size(); i++) {
      s.delta(i + 1L, deltas.get(i), extras.get(i));
    }
    if (result != null) {
      s.done(deltas.size() + 1L, result);
    } else {
      subscribers.add(s);
    }
  }

  public synchronized void unsubscribe(Subscriber s) {
    subscribers.remove(s);
  }

  public synchronized boolean isDone() {
    return result != null;
  }

  public synchronized JsonObject result() {
    return result;
  }

  public Future<JsonObject> finished() {
    return finished.future();
  }

  public synchronized String text() {
    return text.toString();
  }

  public synchronized int deltaCount() {
    return deltas.size();
  }

  public String workerNode() {
    return workerNode;
  }

  /** The text the message had before this job (a continued answer), which the streamed text extends. */
  public String baseContent() {
    return baseContent;
  }

  public UUID messageId() {
    return messageId;
  }

  /** The saved text: what the message had before, plus everything streamed. */
  synchronized String savedText() {
    return baseContent + text;
  }

}
