package io.chatserver.search;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With no search provider configured, asking for web search is a 400 that says how to configure one. */
class WebSearchOffTest extends ServerTestBase {

  @Test
  void askingForWebSearchWithoutAProviderSaysHowToConfigureOne() {
    Api.User u = api.register("offline");
    String chat = api.as(u).newChat("no provider");
    Api.Resp r = api.as(u).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Hi").put("generate", true)
        .put("webSearch", true));
    assertEquals(400, r.status(), r.body());
    assertEquals("webSearch", r.errorField());
    assertTrue(r.json().getJsonObject("error").getString("message").contains("WEB_SEARCH_URL"), r.body());
    assertEquals(400, api.as(u).patch("/api/chats/" + chat, new JsonObject().put("webSearch", true)).status());
    assertEquals(0, api.as(u).get("/api/chats/" + chat).expect(200).json().getJsonArray("messages").size(), "nothing left behind");
  }
}
