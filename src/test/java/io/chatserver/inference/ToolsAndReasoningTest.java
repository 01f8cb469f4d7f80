package io.chatserver.inference;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.config.AppConfig;
import io.chatserver.inference.grammar.TestSchemas;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed API's {@code /api/chat} with tools and reasoning, on real (random-weight) fixtures:
 * forced tool calls stream as {@code tool} events and are saved with the answer, tool results go
 * back into the chat, and a thinking model's reasoning comes apart, streamed and saved.
 */
class ToolsAndReasoningTest extends ServerTestBase {

  private Api user;

  @Override
  protected boolean models() {
    return true;
  }

  @Override
  protected JsonObject configure(JsonObject conf) {
    Path qwen2 = FamiliesTest.fixtures().resolve("qwen2");
    JsonArray list = new JsonArray()
        .add(new JsonObject().put("name", "qwen2").put("path", qwen2.toString()).put("maxBatch", 2).put("prefixCacheSlots", 0))
        .add(new JsonObject().put("name", "thinker").put("path", thinker().toString()).put("maxBatch", 2).put("prefixCacheSlots", 0));
    AppConfig.set(conf, "models.autoImport", false);
    AppConfig.set(conf, "models.list", list);
    return conf;
  }

  /**
   * The qwen3 fixture's weights and tokenizer (linked, not copied) under a template whose generation
   * prompt opens a think block, as DeepSeek-R1's does: whatever the random weights write is thinking.
   */
  private static Path thinker() {
    try {
      Path src = FamiliesTest.fixtures().resolve("qwen3");
      Path dir = Files.createTempDirectory("thinker");
      try (var files = Files.list(src)) {
        for (Path f : files.toList()) {
          if (!f.getFileName().toString().equals("tokenizer_config.json")) {
            Files.createSymbolicLink(dir.resolve(f.getFileName()), f);
          }
        }
      }
      JsonObject config = new JsonObject(Files.readString(src.resolve("tokenizer_config.json")));
      config.put("chat_template", "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
          + "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}");
      Files.writeString(dir.resolve("tokenizer_config.json"), config.encode());
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @BeforeAll
  void signIn() {
    user = api.as(api.register("tools"));
  }

  /** The qwen2 fixture's first tool turn: its messages and tools. */
  private static JsonObject toolTurn() {
    return FamiliesTest.reference("qwen2").getJsonArray("templates").stream().map(x -> (JsonObject) x)
        .filter(x -> x.getString("name").equals("tools_first_turn")).findFirst().orElseThrow();
  }

  /** Server-sent events of a whole response body: [name, data] pairs. */
  private static List<Object[]> events(String body) {
    List<Object[]> out = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      String name = "message";
      StringBuilder data = new StringBuilder();
      for (String line : block.split("\n")) {
        if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
      if (data.length() > 0) {
        out.add(new Object[] {name, new JsonObject(data.toString())});
      }
    }
    return out;
  }

  @Test
  void aForcedCallStreamsAsAToolEventIsSavedAndItsResultGoesBackIntoTheChat() {
    JsonObject turn = toolTurn();
    JsonArray tools = turn.getJsonArray("tools");
    JsonObject params = tools.getJsonObject(0).getJsonObject("function").getJsonObject("parameters");
    String chat = user.newChat("weather");
    JsonObject body = new JsonObject().put("model", "qwen2").put("messages", turn.getJsonArray("messages")).put("tools", tools)
        .put("tool_choice", "required").put("options", new JsonObject().put("max_tokens", 64).put("temperature", 1).put("seed", 3));

    // streamed: one tool event with the whole call, before done
    List<Object[]> evs = events(user.post("/api/chat", body.copy().put("stream", true)).expect(200).body());
    List<JsonObject> toolEvents = evs.stream().filter(e -> e[0].equals("tool")).map(e -> (JsonObject) e[1]).toList();
    assertEquals(1, toolEvents.size(), evs.stream().map(e -> e[0] + " " + e[1]).toList().toString());
    JsonObject streamed = toolEvents.get(0).getJsonObject("tool");
    assertEquals("get_weather", streamed.getJsonObject("function").getString("name"));
    assertTrue(TestSchemas.valid(params, new JsonObject(streamed.getJsonObject("function").getString("arguments"))), streamed.encode());
    assertEquals("done", evs.get(evs.size() - 1)[0]);
    assertEquals("tool_calls", ((JsonObject) evs.get(evs.size() - 1)[1]).getString("finishReason"));

    // saved into a chat: the answer keeps its call
    JsonObject r = user.post("/api/chat", body.copy().put("stream", false).put("chatId", chat)).expect(200).json();
    JsonObject call = r.getJsonObject("message").getJsonArray("tool_calls").getJsonObject(0);
    assertEquals("get_weather", call.getJsonObject("function").getString("name"));
    assertTrue(TestSchemas.valid(params, new JsonObject(call.getJsonObject("function").getString("arguments"))), call.encode());
    JsonObject saved = user.get("/api/chats/" + chat + "/messages/" + r.getString("messageId")).expect(200).json();
    assertEquals(r.getJsonObject("message").getJsonArray("tool_calls"), saved.getJsonArray("toolCalls"), saved.encode());

    // the client runs the tool and sends its result: saved as a tool message, then answered
    JsonArray next = turn.getJsonArray("messages").copy()
        .add(new JsonObject().put("role", "assistant").put("content", "").put("tool_calls", new JsonArray().add(call)))
        .add(new JsonObject().put("role", "tool").put("tool_call_id", call.getString("id")).put("name", "get_weather")
            .put("content", "{\"temperature\": 12, \"unit\": \"celsius\"}"));
    JsonObject answer = user.post("/api/chat", new JsonObject().put("model", "qwen2").put("messages", next).put("tools", tools)
        .put("chatId", chat).put("stream", false).put("options", new JsonObject().put("max_tokens", 4).put("temperature", 0)))
        .expect(200).json();
    JsonArray branch = user.get("/api/chats/" + chat + "/branch").expect(200).json().getJsonArray("messages");
    JsonObject result = branch.getJsonObject(branch.size() - 2);
    assertEquals("tool", result.getString("role"), branch.encode());
    assertEquals(call.getString("id"), result.getString("toolCallId"));
    assertEquals("get_weather", result.getString("name"));
    assertEquals(answer.getString("messageId"), branch.getJsonObject(branch.size() - 1).getString("id"));
  }

  @Test
  void badToolsAreRefusedByField() {
    JsonObject body = new JsonObject().put("model", "qwen2").put("stream", false)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
    Api.Resp r = user.post("/api/chat", body.copy().put("tools", new JsonArray().add("get_weather")));
    assertEquals(400, r.status(), r.body());
    assertEquals("tools[0]", r.json().getJsonObject("error").getString("field"));
    r = user.post("/api/chat", body.copy().put("tool_choice", "required"));
    assertEquals(400, r.status(), r.body());
    assertEquals("tool_choice", r.json().getJsonObject("error").getString("field"));
  }

  @Test
  void aThinkingModelsReasoningComesApartStreamedAndSaved() {
    String chat = user.newChat("thinking");
    JsonObject body = new JsonObject().put("model", "thinker").put("options", new JsonObject().put("max_tokens", 12).put("temperature", 0))
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Why is the sky blue?")));
    List<Object[]> evs = events(user.post("/api/chat", body.copy().put("stream", true)).expect(200).body());
    StringBuilder streamed = new StringBuilder();
    evs.stream().filter(e -> e[0].equals("reasoning")).forEach(e -> streamed.append(((JsonObject) e[1]).getString("text")));
    assertFalse(streamed.toString().isBlank(), "reasoning events: " + evs.stream().map(e -> e[0]).toList());

    JsonObject r = user.post("/api/chat", body.copy().put("stream", false).put("chatId", chat)).expect(200).json();
    String thinking = r.getJsonObject("message").getString("thinking");
    assertNotNull(thinking, r.encode());
    assertEquals(streamed.toString(), thinking, "the same greedy thinking, streamed and not");
    assertFalse(r.getJsonObject("message").getString("content").contains(thinking), "the answer's text does not repeat it");
    JsonObject saved = user.get("/api/chats/" + chat + "/messages/" + r.getString("messageId")).expect(200).json();
    assertEquals(thinking, saved.getString("reasoning"));

    // on /v1 it is reasoning_content
    JsonObject v1 = user.post("/v1/chat/completions", new JsonObject().put("model", "thinker").put("max_tokens", 12).put("temperature", 0)
        .put("messages", body.getJsonArray("messages"))).expect(200).json();
    assertEquals(thinking, v1.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("reasoning_content"));
  }
}
