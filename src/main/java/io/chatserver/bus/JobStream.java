package io.chatserver.bus;

import io.vertx.core.json.JsonObject;

/**
 * A job's stream, typed: what a worker sends on the job's {@link Addresses#stream} address
 * (numbered {@link Delta}s, then one {@link Done}), and what the API node that owns the job
 * publishes on {@link Addresses#jobEvents} for the others ({@link Delta}s, then its {@link Ended}).
 * {@link #toJson()} writes and {@link #read(JsonObject)} reads the wire form documented in
 * {@link Addresses}; nothing else builds or parses these messages.
 */
public sealed interface JobStream {

  String jobId();

  /** Which attempt of the job sent it (a job moved to another worker counts up; older attempts are ignored). */
  int attempt();

  long seq();

  JsonObject toJson();

  /**
   * A piece of the answer. {@code openai} (or null): an upstream's {tool_calls, logprobs} of that
   * chunk, or a local model's tool-call, reasoning or logprob parts, in OpenAI's shape.
   */
  record Delta(String jobId, int attempt, long seq, String text, JsonObject openai) implements JobStream {
    @Override
    public JsonObject toJson() {
      JsonObject o = new JsonObject().put("type", "delta").put("jobId", jobId).put("attempt", attempt).put("seq", seq)
          .put("text", text);
      if (openai != null) {
        o.put("openai", openai);
      }
      return o;
    }
  }

  /**
   * The end. {@code usage}: {promptTokens, completionTokens, ttftMs, tokensPerSecond}; {@code error}
   * (or null) says why it failed; {@code openai} (or null): the whole answer's {tool_calls, logprobs, ...}.
   */
  record Done(String jobId, int attempt, long seq, FinishReason reason, String error, JsonObject usage, JsonObject openai)
      implements JobStream {
    @Override
    public JsonObject toJson() {
      JsonObject o = new JsonObject().put("type", "done").put("jobId", jobId).put("attempt", attempt).put("seq", seq)
          .put("finishReason", reason.wire()).put("usage", usage == null ? new JsonObject() : usage);
      if (error != null) {
        o.put("error", error);
      }
      if (openai != null) {
        o.put("openai", openai);
      }
      return o;
    }
  }

  /** The job's end as its API node saw it (the saved result: finishReason, status, text, usage, messageId, ...). */
  record Ended(String jobId, int attempt, long seq, JsonObject result) implements JobStream {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", "ended").put("jobId", jobId).put("attempt", attempt).put("seq", seq)
          .put("result", result);
    }
  }

  /** The message a JSON body carries; null for a body that is neither (ignored by the reader's caller). */
  static JobStream read(JsonObject m) {
    String type = m.getString("type");
    if ("delta".equals(type)) {
      return new Delta(m.getString("jobId"), m.getInteger("attempt", 0), m.getLong("seq", 0L), m.getString("text", ""),
          m.getJsonObject("openai"));
    }
    if ("done".equals(type)) {
      return new Done(m.getString("jobId"), m.getInteger("attempt", 0), m.getLong("seq", 0L),
          FinishReason.parse(m.getString("finishReason")), m.getString("error"), m.getJsonObject("usage", new JsonObject()),
          m.getJsonObject("openai"));
    }
    if ("ended".equals(type)) {
      return new Ended(m.getString("jobId"), m.getInteger("attempt", 0), m.getLong("seq", 0L), m.getJsonObject("result"));
    }
    return null;
  }
}
