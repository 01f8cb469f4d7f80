package io.chatserver.transfer;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportImportTest extends ServerTestBase {

  /** A branched chat: u1 -> (a1 -> u2, a1b*) with ratings and a system message. */
  private String branchedChat(Api me) {
    String chat = me.post("/api/chats", new JsonObject().put("title", "Export me").put("systemMessage", "Be kind."))
        .expect(201).json().getString("id");
    String u1 = me.addMessage(chat, null, "user", "Hello \uD83D\uDC4B");
    String a1 = me.addMessage(chat, null, "assistant", "Hi");
    me.addMessage(chat, null, "user", "Story?");
    String a1b = me.addMessage(chat, u1, "assistant", "Hello! How can I help?");
    me.post("/api/chats/" + chat + "/messages/" + a1 + "/rating", new JsonObject().put("value", 1).put("comment", "good")).expect(200);
    me.patch("/api/chats/" + chat, new JsonObject().put("favorite", true)).expect(200);
    assertEquals(a1b, me.get("/api/chats/" + chat).json().getString("currentLeafId"));
    return chat;
  }

  /** The tree with ids replaced by their position, so two copies with different ids compare equal. */
  private static JsonObject canonical(JsonObject chat) {
    JsonArray msgs = chat.getJsonArray("messages");
    Map<String, Integer> pos = new HashMap<>();
    for (int i = 0; i < msgs.size(); i++) {
      pos.put(msgs.getJsonObject(i).getString("id"), i);
    }
    JsonArray out = new JsonArray();
    for (int i = 0; i < msgs.size(); i++) {
      JsonObject m = msgs.getJsonObject(i).copy();
      m.put("id", i);
      m.put("parentId", m.getString("parentId") == null ? null : pos.get(m.getString("parentId")));
      out.add(m);
    }
    return new JsonObject().put("title", chat.getString("title")).put("systemMessage", chat.getString("systemMessage"))
        .put("favorite", chat.getBoolean("favorite")).put("createdAt", chat.getString("createdAt"))
        .put("currentLeaf", pos.get(chat.getString("currentLeafId"))).put("messages", out);
  }

  @Test
  void chatJsonRoundTripIsLossless() {
    Api me = api.as(api.register("export"));
    String chat = branchedChat(me);
    Api.Resp exported = me.get("/api/chats/" + chat + "/export").expect(200);
    assertTrue(exported.headers().get("content-disposition").contains(".json"));
    JsonObject doc = exported.json();
    assertEquals("chat-server.chat", doc.getString("format"));

    JsonObject result = me.post("/api/import", doc).expect(201).json();
    String copy = result.getJsonArray("chats").getJsonObject(0).getString("id");
    assertNotEquals(chat, copy);
    JsonObject original = me.get("/api/chats/" + chat).json();
    JsonObject imported = me.get("/api/chats/" + copy).json();
    assertEquals(canonical(original), canonical(imported));
    // and the copy exports to the same document again
    JsonObject again = me.get("/api/chats/" + copy + "/export").json();
    assertEquals(canonical(doc.getJsonObject("chat")), canonical(again.getJsonObject("chat")));
  }

  @Test
  void allUserDataRoundTripsIntoAnotherAccount() {
    Api alice = api.as(api.register("alldata"));
    branchedChat(alice);
    alice.newChat("Empty one");
    alice.post("/api/personas", new JsonObject().put("name", "Pirate").put("content", "Arr")).expect(201);
    alice.put("/api/users/me", new JsonObject().put("nickname", "Al").put("settings", new JsonObject().put("temperature", 0.3)))
        .expect(200);
    JsonObject all = alice.get("/api/export").expect(200).json();
    assertEquals("chat-server.user-data", all.getString("format"));
    assertEquals(2, all.getJsonArray("chats").size());

    Api carol = api.as(api.register("carol"));
    JsonObject result = carol.post("/api/import", all).expect(201).json();
    assertEquals(2, result.getJsonArray("chats").size());
    assertEquals(1, result.getInteger("personas"));
    JsonObject carolAll = carol.get("/api/export").json();
    List<String> keys = List.of("chats", "personas");
    for (String key : keys) {
      assertEquals(all.getJsonArray(key).size(), carolAll.getJsonArray(key).size(), key);
    }
    for (int i = 0; i < 2; i++) {
      assertEquals(canonical(all.getJsonArray("chats").getJsonObject(i)), canonical(carolAll.getJsonArray("chats").getJsonObject(i)));
    }
    assertEquals(all.getJsonArray("personas"), carolAll.getJsonArray("personas"));
    assertEquals("Al", carol.get("/api/users/me").json().getString("nickname"));
    assertEquals(0.3, carol.get("/api/users/me").json().getJsonObject("settings").getDouble("temperature"));
  }

  @Test
  void markdownShowsTheCurrentBranch() {
    Api me = api.as(api.register("md"));
    String chat = branchedChat(me);
    Api.Resp md = me.get("/api/chats/" + chat + "/export?format=markdown").expect(200);
    assertTrue(md.headers().get("content-type").startsWith("text/markdown"));
    String text = md.body();
    assertTrue(text.startsWith("# Export me"), text);
    assertTrue(text.contains("Be kind."));
    assertTrue(text.contains("Hello! How can I help?"), text);
    assertTrue(!text.contains("Story?"), "the other branch is not in the Markdown");
    assertTrue(me.get("/api/export?format=markdown").expect(200).body().contains("# Export me"));
  }

  @Test
  void badDocumentsAre422AndImportNothing() {
    Api me = api.as(api.register("badimport"));
    JsonObject msg = new JsonObject().put("id", "a").put("role", "user").put("content", "x");
    JsonObject base = new JsonObject().put("format", "chat-server.chat").put("version", 1);
    List<JsonObject> bad = List.of(
        new JsonObject().put("format", "other").put("version", 1),
        base.copy().put("version", 99).put("chat", new JsonObject().put("title", "t")),
        base.copy().put("chat", "not an object"),
        base.copy().put("chat", new JsonObject().put("title", "t").put("messages", new JsonArray()
            .add(msg.copy().put("parentId", "missing")))),
        base.copy().put("chat", new JsonObject().put("title", "t").put("messages", new JsonArray()
            .add(msg.copy().put("parentId", "b")).add(msg.copy().put("id", "b").put("parentId", "a")))),
        base.copy().put("chat", new JsonObject().put("title", "t").put("messages", new JsonArray().add(msg).add(msg))),
        base.copy().put("chat", new JsonObject().put("title", "t").put("messages", new JsonArray()
            .add(msg.copy().put("role", "wizard")))),
        base.copy().put("chat", new JsonObject().put("title", "t").put("currentLeafId", "zzz")),
        base.copy().put("chat", new JsonObject().put("title", "t").put("messages", new JsonArray()
            .add(msg.copy().put("createdAt", "yesterday")))));
    for (JsonObject doc : bad) {
      Api.Resp r = me.post("/api/import", doc);
      assertEquals(422, r.status(), doc.encode() + " -> " + r.body());
      assertEquals("unprocessable", r.errorCode());
    }
    // a user-data document whose second chat is bad imports nothing at all
    JsonObject mixed = new JsonObject().put("format", "chat-server.user-data").put("version", 1).put("chats", new JsonArray()
        .add(new JsonObject().put("title", "fine"))
        .add(new JsonObject().put("title", "broken").put("messages", new JsonArray().add(msg.copy().put("parentId", "nope")))));
    me.post("/api/import", mixed).expect(422);
    assertEquals(0, me.get("/api/chats").json().getLong("total"));
  }
}
