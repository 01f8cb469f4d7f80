package io.chatserver.services;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How an upstream's streamed answer becomes the job protocol's pieces: text, and beside it the
 * tool-call and log-probability parts an OpenAI-compatible service streams (the shapes of OpenAI's
 * API reference), whatever the chunk boundaries.
 */
class UpstreamStreamTest {

  private static String event(JsonObject choice) {
    return "data: " + new JsonObject().put("id", "c1").put("object", "chat.completion.chunk")
        .put("choices", new JsonArray().add(choice.put("index", 0))).encode() + "\n\n";
  }

  private static JsonObject call(int index, String id, String name, String args) {
    JsonObject fn = new JsonObject().put("arguments", args);
    if (name != null) {
      fn.put("name", name);
    }
    JsonObject c = new JsonObject().put("index", index).put("function", fn);
    if (id != null) {
      c.put("id", id).put("type", "function");
    }
    return c;
  }

  /** Feeds the stream in chunks of {@code size} characters, cut anywhere, and collects the pieces. */
  private static List<UpstreamStream.Piece> feed(UpstreamStream s, String all, int size) {
    List<UpstreamStream.Piece> out = new ArrayList<>();
    for (int i = 0; i < all.length(); i += size) {
      out.addAll(s.feed(all.substring(i, Math.min(all.length(), i + size))));
    }
    return out;
  }

  @Test
  void toolCallsStreamAsPiecesAndMergeByIndexWithTheirArgumentsJoined() {
    String all = event(new JsonObject().put("delta", new JsonObject().put("role", "assistant").putNull("content")))
        + event(new JsonObject().put("delta", new JsonObject().put("tool_calls", new JsonArray()
            .add(call(0, "call_a", "weather", "")))))
        + event(new JsonObject().put("delta", new JsonObject().put("tool_calls", new JsonArray().add(call(0, null, null, "{\"city\":")))))
        + event(new JsonObject().put("delta", new JsonObject().put("tool_calls", new JsonArray()
            .add(call(0, null, null, "\"Oslo\"}")).add(call(1, "call_b", "time", "{}")))))
        + event(new JsonObject().put("delta", new JsonObject()).put("finish_reason", "tool_calls"))
        + "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":9}}\n\n"
        + "data: [DONE]\n\n";
    for (int size : new int[] {all.length(), 7, 1}) {
      UpstreamStream s = new UpstreamStream(true);
      List<UpstreamStream.Piece> pieces = feed(s, all, size);
      assertEquals(3, pieces.size(), "one piece per chunk that carried something, chunks of " + size);
      assertTrue(pieces.stream().allMatch(p -> p.text().isEmpty() && p.extra().getJsonArray("tool_calls") != null));
      assertEquals("\"Oslo\"}", pieces.get(2).extra().getJsonArray("tool_calls").getJsonObject(0)
          .getJsonObject("function").getString("arguments"), "each piece carries its chunk's delta as it came");
      assertEquals("tool_calls", s.finishReason().wire());
      assertEquals(9, s.usage().getInteger("completion_tokens"));
      JsonArray merged = s.merged().getJsonArray("tool_calls");
      assertEquals(new JsonObject().put("function", new JsonObject().put("arguments", "{\"city\":\"Oslo\"}").put("name", "weather"))
          .put("id", "call_a").put("type", "function"), merged.getJsonObject(0));
      assertEquals("time", merged.getJsonObject(1).getJsonObject("function").getString("name"));
      assertNull(s.merged().getJsonObject("logprobs"));
    }
  }

  @Test
  void textWithLogprobsKeepsBothAndConcatenatesTheLogprobs() {
    JsonObject lp1 = new JsonObject().put("content", new JsonArray().add(new JsonObject().put("token", "Once").put("logprob", -0.1)));
    JsonObject lp2 = new JsonObject().put("content", new JsonArray().add(new JsonObject().put("token", " upon").put("logprob", -0.2)));
    String all = event(new JsonObject().put("delta", new JsonObject().put("content", "Once")).put("logprobs", lp1))
        + event(new JsonObject().put("delta", new JsonObject().put("content", " upon")).put("logprobs", lp2))
        + event(new JsonObject().put("delta", new JsonObject()).put("finish_reason", "length"))
        + ": a comment line\n\ndata: not json\n\n";
    UpstreamStream s = new UpstreamStream(true);
    List<UpstreamStream.Piece> pieces = feed(s, all, 5);
    assertEquals(List.of("Once", " upon"), pieces.stream().map(UpstreamStream.Piece::text).toList());
    assertEquals(lp2, pieces.get(1).extra().getJsonObject("logprobs"));
    assertEquals(2, s.merged().getJsonObject("logprobs").getJsonArray("content").size());
    assertEquals("length", s.finishReason().wire());
    assertNull(s.usage(), "no usage was sent");
  }

  @Test
  void completionsTextAndAPlainStreamHaveNoExtras() {
    String all = "data: " + new JsonObject().put("choices", new JsonArray().add(new JsonObject().put("text", "abc")
        .putNull("logprobs").putNull("finish_reason"))).encode() + "\n\n"
        + "data: " + new JsonObject().put("choices", new JsonArray().add(new JsonObject().put("text", "")
        .put("finish_reason", "stop"))).encode() + "\n\n";
    UpstreamStream s = new UpstreamStream(false);
    List<UpstreamStream.Piece> pieces = feed(s, all, 3);
    assertEquals(1, pieces.size());
    assertEquals("abc", pieces.get(0).text());
    assertNull(pieces.get(0).extra());
    assertNull(s.merged());
    assertEquals("stop", s.finishReason().wire());
  }
}
