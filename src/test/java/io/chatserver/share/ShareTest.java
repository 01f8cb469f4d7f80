package io.chatserver.share;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Share links: a snapshot of the current branch, readable without login, revocable, and only the owner's to make. */
class ShareTest extends ServerTestBase {

  /** A chat whose tree has two branches; the current one ends in "second answer". */
  private String chatWithBranches(Api me) {
    String chat = me.post("/api/chats", new JsonObject().put("title", "Shared story").put("systemMessage", "secret system prompt"))
        .expect(201).json().getString("id");
    String q = me.addMessage(chat, null, "user", "A question");
    me.addMessage(chat, q, "assistant", "first answer");
    me.addMessage(chat, q, "assistant", "second answer");
    return chat;
  }

  private Api.Resp publicView(String url, String accept) {
    return api.send(io.vertx.core.http.HttpMethod.GET, url, null, null, accept);
  }

  /** The shared chat as an API client reads it: no token, JSON. */
  private Api.Resp shared(String url) {
    return publicView(url, "application/json");
  }

  @Test
  void aLinkShowsASnapshotOfTheBranchToAnyoneUntilItIsRevoked() {
    Api.User owner = api.register("sharer");
    Api me = api.as(owner);
    String chat = chatWithBranches(me);
    JsonObject link = me.post("/api/chats/" + chat + "/share", new JsonObject()).expect(201).json();
    String token = link.getString("token");
    assertTrue(token.length() >= 43, "at least 256 bits: " + token);
    assertEquals("/s/" + token, link.getString("url"));
    assertEquals(link, me.get("/api/chats/" + chat + "/share").expect(200).json());

    JsonObject shared = shared(link.getString("url")).expect(200).json();
    assertEquals("Shared story", shared.getString("title"));
    JsonArray messages = shared.getJsonArray("messages");
    assertEquals(2, messages.size(), messages.encode());
    assertEquals("A question", messages.getJsonObject(0).getString("content"));
    assertEquals("second answer", messages.getJsonObject(1).getString("content"));
    assertFalse(shared.encode().contains("secret system prompt"), "the system prompt is not shared");

    // a snapshot: later messages do not show
    me.addMessage(chat, null, "user", "a later question");
    assertEquals(2, shared(link.getString("url")).expect(200).json().getJsonArray("messages").size());

    // a browser gets the UI's page for the same link
    Api.Resp html = publicView(link.getString("url"), "text/html");
    assertEquals(200, html.status());
    assertTrue(html.headers().get("content-type").startsWith("text/html"), html.headers().toString());

    // a new link revokes the old one
    JsonObject second = me.post("/api/chats/" + chat + "/share", new JsonObject()).expect(201).json();
    assertNotEquals(token, second.getString("token"));
    assertEquals(404, shared(link.getString("url")).status());
    assertEquals(3, shared(second.getString("url")).expect(200).json().getJsonArray("messages").size());

    me.delete("/api/chats/" + chat + "/share").expect(204);
    assertEquals(404, shared(second.getString("url")).status());
    assertEquals(404, me.get("/api/chats/" + chat + "/share").status());
    assertEquals(404, me.delete("/api/chats/" + chat + "/share").status());
  }

  @Test
  void onlyTheOwnerSharesAndUnknownOrMalformedLinksAre404() {
    Api.User owner = api.register("owner");
    Api.User other = api.register("other");
    String chat = chatWithBranches(api.as(owner));
    assertEquals(404, api.as(other).post("/api/chats/" + chat + "/share", new JsonObject()).status());
    JsonObject link = api.as(owner).post("/api/chats/" + chat + "/share", new JsonObject()).expect(201).json();
    assertEquals(404, api.as(other).get("/api/chats/" + chat + "/share").status());
    assertEquals(404, api.as(other).delete("/api/chats/" + chat + "/share").status());
    shared(link.getString("url")).expect(200); // the other's attempt revoked nothing
    assertEquals(404, shared("/s/" + "A".repeat(43)).status());
    assertEquals("not_found", shared("/s/not-a-token").errorCode());
    String empty = api.as(owner).newChat("empty");
    assertEquals(409, api.as(owner).post("/api/chats/" + empty + "/share", new JsonObject()).status());
    // deleting the chat ends its link
    api.as(owner).delete("/api/chats/" + chat).expect(204);
    assertEquals(404, shared(link.getString("url")).status());
  }
}
