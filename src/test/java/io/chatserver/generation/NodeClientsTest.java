package io.chatserver.generation;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.NodeRunner;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server as third-party clients see it: the official openai npm package, and the Vert.x SockJS bridge client. */
class NodeClientsTest extends ServerTestBase {

  @Override
  protected boolean models() {
    return true;
  }

  @Test
  void officialOpenAiClient() throws Exception {
    Api.User u = api.register("openai");
    String key = api.as(u).post("/api/users/me/keys", new JsonObject().put("name", "node")).expect(201).json().getString("key");
    JsonObject out = NodeRunner.run("openai-client.mjs", Map.of("PORT", String.valueOf(server.port()), "KEY", key));

    assertEquals(new JsonArray().add("stories260k"), out.getJsonArray("models"));
    JsonObject chat = out.getJsonObject("chat");
    assertEquals("chat.completion", chat.getString("object"));
    assertFalse(chat.getString("content").isEmpty());
    assertTrue(chat.getJsonObject("usage").getInteger("completion_tokens") > 0);
    JsonObject stream = out.getJsonObject("stream");
    assertEquals(chat.getString("content"), stream.getString("content"), "same seed and params: same text, streamed or not");
    assertEquals(chat.getString("finish"), stream.getString("finish"));
    assertEquals(chat.getJsonObject("usage"), stream.getJsonObject("usage"), "include_usage sends the usage chunk");
    assertEquals(GenerationTest.REFERENCE_TAIL, out.getJsonObject("completion").getString("text"));
    assertEquals("length", out.getJsonObject("completion").getString("finish"));
    assertEquals(", there was a little girl named ", out.getJsonObject("stopped").getString("text"));
    assertEquals("stop", out.getJsonObject("stopped").getString("finish"));
    assertEquals(404, out.getJsonObject("unknownModel").getInteger("status"));
    assertEquals(400, out.getJsonObject("n2").getInteger("status"));
    assertEquals("n", out.getJsonObject("n2").getString("param"));
    assertEquals(400, out.getJsonObject("fim").getInteger("status"));
    assertEquals(401, out.getJsonObject("badKey").getInteger("status"));
  }

  @Test
  void sockJsBridgeStreamsToTheOwnerOnly() throws Exception {
    Api.User u = api.register("browser");
    Api.User other = api.register("someoneelse");
    String chat = api.as(u).newChat("over the bridge");
    JsonObject out = NodeRunner.run("bridge-client.cjs", Map.of("PORT", String.valueOf(server.port()), "TOKEN", u.token(),
        "USER_ID", u.id().toString(), "OTHER_USER_ID", other.id().toString(), "CHAT_ID", chat));

    assertNull(out.getValue("replyError"), out.encode());
    JsonObject reply = out.getJsonObject("reply");
    JsonObject done = out.getJsonObject("done");
    assertEquals(reply.getString("jobId"), done.getString("jobId"));
    StringBuilder text = new StringBuilder();
    JsonArray deltas = out.getJsonArray("deltas");
    for (int i = 0; i < deltas.size(); i++) {
      assertEquals(i + 1, deltas.getJsonObject(i).getLong("seq"));
      text.append(deltas.getJsonObject(i).getString("text"));
    }
    assertEquals(text.toString(), done.getString("text"));
    // saved in the caller's chat (the forged userId in the body was overwritten by the bridge)
    JsonObject saved = api.as(u).get("/api/chats/" + chat + "/messages/" + reply.getString("assistantMessageId")).expect(200).json();
    assertEquals(text.toString(), saved.getString("content"));
    // registering another user's address and sending to a non-permitted address are both refused
    assertEquals(new JsonArray().add("rejected").add("access_denied"), out.getJsonArray("errors"), out.encode());
    assertFalse(out.getBoolean("sawOthers", false));
    // a refusal: the HTTP status, and the error object the REST API would give
    JsonObject refusal = out.getJsonObject("refusal");
    assertEquals(400, refusal.getInteger("failureCode"), out.encode());
    JsonObject error = new JsonObject(refusal.getString("message"));
    assertEquals("content", error.getString("field"), error.encode());
    assertFalse(error.getString("code").isBlank());
    assertFalse(error.getString("message").isBlank());
  }

  @Test
  void bridgeNeedsAToken() {
    assertEquals(401, api.get("/eventbus/info").status());
    assertEquals(401, api.get("/eventbus/info?token=garbage").status());
  }
}
