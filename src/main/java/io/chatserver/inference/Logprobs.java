package io.chatserver.inference;

import io.chatserver.inference.engine.GenerationListener.Token;
import io.chatserver.inference.model.TextTokenizer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;

/**
 * One job's token log probabilities in OpenAI's shapes: chat completions' {@code {content:
 * [{token, logprob, bytes, top_logprobs}]}} or completions' {@code {tokens, token_logprobs,
 * top_logprobs, text_offset}}. A token is named by its text, or {@code token_id:N} when the
 * request asked for ids (vLLM's {@code return_tokens_as_token_ids}). Kept whole for the final
 * answer and handed out in pieces for the stream. Used on the scheduler thread only.
 */
final class Logprobs {

  private final TextTokenizer tokenizer;
  private final boolean chat;
  private final boolean ids;
  private final JsonObject all;
  private JsonObject pending;
  private int offset;

  Logprobs(TextTokenizer tokenizer, boolean chat, boolean ids) {
    this.tokenizer = tokenizer;
    this.chat = chat;
    this.ids = ids;
    this.all = empty();
  }

  private JsonObject empty() {
    return chat ? new JsonObject().put("content", new JsonArray())
        : new JsonObject().put("tokens", new JsonArray()).put("token_logprobs", new JsonArray())
            .put("top_logprobs", new JsonArray()).put("text_offset", new JsonArray());
  }

  private String name(long id) {
    return ids ? "token_id:" + id : tokenizer.decode(new long[] {id}, false);
  }

  void add(Token t) {
    if (pending == null) {
      pending = empty();
    }
    String text = name(t.id());
    for (JsonObject target : new JsonObject[] {all, pending}) {
      if (chat) {
        JsonArray top = new JsonArray();
        for (int i = 0; i < t.topIds().length; i++) {
          String alt = name(t.topIds()[i]);
          top.add(new JsonObject().put("token", alt).put("logprob", t.topLogprobs()[i]).put("bytes", bytes(alt)));
        }
        target.getJsonArray("content").add(new JsonObject().put("token", text).put("logprob", t.logprob())
            .put("bytes", bytes(text)).put("top_logprobs", top));
      } else {
        JsonObject top = new JsonObject();
        for (int i = 0; i < t.topIds().length; i++) {
          top.put(name(t.topIds()[i]), t.topLogprobs()[i]);
        }
        target.getJsonArray("tokens").add(text);
        target.getJsonArray("token_logprobs").add(t.logprob());
        target.getJsonArray("top_logprobs").add(top);
        target.getJsonArray("text_offset").add(offset);
      }
    }
    offset += text.length();
  }

  private static JsonArray bytes(String s) {
    JsonArray a = new JsonArray();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      a.add(b & 0xff);
    }
    return a;
  }

  /** What was added since the last call, or null. */
  JsonObject pending() {
    JsonObject p = pending;
    pending = null;
    return p;
  }

  /** Everything, for the final answer. */
  JsonObject all() {
    return all;
  }
}
