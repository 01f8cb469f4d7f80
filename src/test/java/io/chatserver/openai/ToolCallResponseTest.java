package io.chatserver.openai;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A non-streamed answer that an upstream ended with tool calls reads as OpenAI's own. */
class ToolCallResponseTest {

  @Test
  void toolCallsAndLogprobsOfTheWholeAnswerAreInTheChoice() {
    JsonArray calls = new JsonArray().add(new JsonObject().put("id", "call_a").put("type", "function")
        .put("function", new JsonObject().put("name", "weather").put("arguments", "{\"city\":\"Oslo\"}")));
    JsonObject logprobs = new JsonObject().put("content", new JsonArray());
    JsonObject done = new JsonObject().put("finishReason", "tool_calls").put("text", "").put("model", "up/m")
        .put("usage", new JsonObject().put("promptTokens", 3).put("completionTokens", 4))
        .put("openai", new JsonObject().put("tool_calls", calls).put("logprobs", logprobs));
    JsonObject choice = OpenAiRoutes.response("chatcmpl-1", 0, true, done).getJsonArray("choices").getJsonObject(0);
    assertEquals("tool_calls", choice.getString("finish_reason"));
    assertEquals(calls, choice.getJsonObject("message").getJsonArray("tool_calls"));
    assertTrue(choice.getJsonObject("message").containsKey("content"));
    assertNull(choice.getJsonObject("message").getValue("content"), "a pure tool call has null content, as OpenAI's");
    assertEquals(logprobs, choice.getJsonObject("logprobs"));
  }

  @Test
  void aPlainAnswerHasNeither() {
    JsonObject done = new JsonObject().put("finishReason", "cancelled").put("text", "Hi").put("model", "m");
    JsonObject choice = OpenAiRoutes.response("chatcmpl-1", 0, true, done).getJsonArray("choices").getJsonObject(0);
    assertEquals("stop", choice.getString("finish_reason"));
    assertEquals("Hi", choice.getJsonObject("message").getString("content"));
    assertNull(choice.getJsonObject("message").getValue("tool_calls"));
  }
}
