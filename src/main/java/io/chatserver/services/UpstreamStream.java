package io.chatserver.services;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads an upstream's streamed answer (OpenAI's server-sent events, in chunks cut anywhere) into
 * what the job protocol carries: text pieces, each with the OpenAI-only parts of its choice
 * ({@code tool_calls} deltas, {@code logprobs}) passed through as they came, the finish reason and
 * the usage. It also merges those parts over the whole answer (tool calls by index, with their
 * arguments joined; log probabilities concatenated) for an answer that is not streamed.
 */
final class UpstreamStream {

  /** One piece of the answer: text (maybe empty) and the OpenAI-only parts of its choice, or null. */
  record Piece(String text, JsonObject extra) {}

  private final boolean chat;
  private final StringBuilder pending = new StringBuilder();
  private final Map<Integer, JsonObject> toolCalls = new TreeMap<>();
  private JsonObject logprobs;
  private JsonObject usage;
  private String finish;

  UpstreamStream(boolean chat) {
    this.chat = chat;
  }

  /** The pieces the bytes complete (a line cut between two chunks waits for the next). */
  List<Piece> feed(String chunk) {
    pending.append(chunk);
    List<Piece> out = new ArrayList<>();
    int nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      String line = pending.substring(0, nl).trim();
      pending.delete(0, nl + 1);
      if (!line.startsWith("data:")) {
        continue;
      }
      String data = line.substring(5).trim();
      if (data.equals("[DONE]") || data.isEmpty()) {
        continue;
      }
      JsonObject event;
      try {
        event = new JsonObject(data);
      } catch (RuntimeException e) {
        continue; // a line we do not understand: skip it rather than fail the answer
      }
      Piece p = event(event);
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }

  private Piece event(JsonObject event) {
    if (event.getJsonObject("usage") != null) {
      usage = event.getJsonObject("usage");
    }
    JsonArray choices = event.getJsonArray("choices", new JsonArray());
    if (choices.isEmpty() || !(choices.getValue(0) instanceof JsonObject choice)) {
      return null;
    }
    if (choice.getString("finish_reason") != null) {
      finish = choice.getString("finish_reason");
    }
    JsonObject delta = chat ? choice.getJsonObject("delta", new JsonObject()) : null;
    String text = chat ? delta.getString("content") : choice.getString("text");
    JsonObject extra = new JsonObject();
    if (chat && delta.getValue("tool_calls") instanceof JsonArray calls && !calls.isEmpty()) {
      extra.put("tool_calls", calls);
      mergeToolCalls(calls);
    }
    if (choice.getValue("logprobs") instanceof JsonObject lp) {
      extra.put("logprobs", lp);
      mergeLogprobs(lp);
    }
    boolean hasText = text != null && !text.isEmpty();
    if (!hasText && extra.isEmpty()) {
      return null;
    }
    return new Piece(hasText ? text : "", extra.isEmpty() ? null : extra);
  }

  private void mergeToolCalls(JsonArray calls) {
    for (Object o : calls) {
      if (!(o instanceof JsonObject call)) {
        continue;
      }
      JsonObject whole = toolCalls.computeIfAbsent(call.getInteger("index", toolCalls.size()),
          i -> new JsonObject().put("function", new JsonObject().put("arguments", "")));
      for (String key : List.of("id", "type")) {
        if (call.getString(key) != null) {
          whole.put(key, call.getString(key));
        }
      }
      JsonObject fn = call.getJsonObject("function");
      if (fn != null) {
        JsonObject wholeFn = whole.getJsonObject("function");
        if (fn.getString("name") != null) {
          wholeFn.put("name", fn.getString("name"));
        }
        if (fn.getString("arguments") != null) {
          wholeFn.put("arguments", wholeFn.getString("arguments") + fn.getString("arguments"));
        }
      }
    }
  }

  /** Chat's {content: [...]} and completions' parallel arrays alike: every array is concatenated. */
  private void mergeLogprobs(JsonObject lp) {
    if (logprobs == null) {
      logprobs = new JsonObject();
    }
    for (String key : lp.fieldNames()) {
      if (lp.getValue(key) instanceof JsonArray a) {
        JsonArray whole = logprobs.getJsonArray(key);
        if (whole == null) {
          logprobs.put(key, whole = new JsonArray());
        }
        whole.addAll(a);
      }
    }
  }

  /** The upstream's usage ({prompt_tokens, completion_tokens, ...}), or null when it sent none. */
  JsonObject usage() {
    return usage;
  }

  /** Our finish reason: length, tool_calls, or stop (also when the upstream gave none). */
  io.chatserver.bus.FinishReason finishReason() {
    if ("length".equals(finish)) {
      return io.chatserver.bus.FinishReason.LENGTH;
    }
    return "tool_calls".equals(finish) || "function_call".equals(finish) ? io.chatserver.bus.FinishReason.TOOL_CALLS
        : io.chatserver.bus.FinishReason.STOP;
  }

  /** The OpenAI-only parts of the whole answer ({tool_calls: [...], logprobs: {...}}), or null. */
  JsonObject merged() {
    JsonObject m = new JsonObject();
    if (!toolCalls.isEmpty()) {
      JsonArray calls = new JsonArray();
      toolCalls.values().forEach(c -> calls.add(c.copy()));
      m.put("tool_calls", calls);
    }
    if (logprobs != null) {
      m.put("logprobs", logprobs);
    }
    return m.isEmpty() ? null : m;
  }
}
