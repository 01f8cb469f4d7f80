package io.chatserver.support;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Feedback about chats and tickets: happy paths, isolation (404), admin-only routes (403), bad input (400). */
class SupportTest extends ServerTestBase {

  private Api.User admin;

  @BeforeAll
  void firstAccountIsAdmin() {
    admin = api.register("admin");
  }

  @Test
  void feedbackIsOnePerChatListedForAdminsOnly() {
    Api.User u = api.register("rater");
    Api.User other = api.register("other");
    String chat = api.as(u).newChat("Rated chat");
    JsonObject f = api.as(u).post("/api/chats/" + chat + "/feedback", new JsonObject().put("rating", -1).put("comment", "too short"))
        .expect(200).json();
    assertEquals(-1, f.getInteger("rating"));
    JsonObject again = api.as(u).post("/api/chats/" + chat + "/feedback", new JsonObject().put("rating", 1)).expect(200).json();
    assertEquals(f.getString("id"), again.getString("id"), "sending again replaces it");
    assertEquals(1, api.as(u).get("/api/chats/" + chat + "/feedback").expect(200).json().getInteger("rating"));

    assertEquals(404, api.as(other).post("/api/chats/" + chat + "/feedback", new JsonObject().put("rating", 1)).status());
    assertEquals(404, api.as(other).get("/api/chats/" + chat + "/feedback").status());
    assertEquals(400, api.as(u).post("/api/chats/" + chat + "/feedback", new JsonObject().put("rating", 0)).status());
    assertEquals(400, api.as(u).post("/api/chats/" + chat + "/feedback", new JsonObject()).status());
    assertEquals(403, api.as(u).get("/api/admin/feedback").status());

    JsonArray good = api.as(admin).get("/api/admin/feedback?rating=1&userId=" + u.id()).expect(200).json().getJsonArray("items");
    assertEquals(1, good.size());
    assertEquals("Rated chat", good.getJsonObject(0).getString("chatTitle"));
    assertEquals(u.username(), good.getJsonObject(0).getString("username"));
    assertEquals(0, api.as(admin).get("/api/admin/feedback?rating=-1&userId=" + u.id()).expect(200).json().getJsonArray("items").size());
    assertEquals(400, api.as(admin).get("/api/admin/feedback?rating=5").status());
    // it outlives the chat
    api.as(u).delete("/api/chats/" + chat).expect(204);
    assertEquals(1, api.as(admin).get("/api/admin/feedback?userId=" + u.id()).expect(200).json().getJsonArray("items").size());
  }

  @Test
  void aTicketKeepsItsSnapshotGetsRepliesAndIsTheOwnersOnly() {
    Api.User u = api.register("reporter");
    Api.User other = api.register("nosy");
    Api me = api.as(u);
    String chat = me.newChat("Broken answer");
    String q = me.addMessage(chat, null, "user", "What is 2+2?");
    String a = me.addMessage(chat, q, "assistant", "5");
    me.addMessage(chat, a, "user", "unrelated follow-up");

    JsonObject t = me.post("/api/chats/" + chat + "/tickets", new JsonObject().put("subject", "Wrong sum")
        .put("description", "The answer is wrong.").put("messageIds", new JsonArray().add(q).add(a))).expect(201).json();
    assertEquals("open", t.getString("status"));
    assertEquals(2, t.getJsonArray("messages").size());
    assertEquals("5", t.getJsonArray("messages").getJsonObject(1).getString("content"));
    String id = t.getString("id");

    // bad input
    assertEquals(400, me.post("/api/chats/" + chat + "/tickets", new JsonObject().put("subject", "")
        .put("description", "x")).status());
    Api.Resp foreign = me.post("/api/chats/" + chat + "/tickets", new JsonObject().put("subject", "s").put("description", "d")
        .put("messageIds", new JsonArray().add(java.util.UUID.randomUUID().toString())));
    assertEquals(400, foreign.status());
    assertEquals("messageIds", foreign.errorField());
    // isolation
    assertEquals(404, api.as(other).post("/api/chats/" + chat + "/tickets", new JsonObject().put("subject", "s").put("description", "d"))
        .status());
    assertEquals(404, api.as(other).get("/api/tickets/" + id).status());
    assertEquals(404, api.as(other).post("/api/tickets/" + id + "/replies", new JsonObject().put("body", "me too")).status());
    assertEquals(0, api.as(other).get("/api/tickets").expect(200).json().getJsonArray("items").size());
    assertEquals(403, api.as(u).get("/api/admin/tickets").status());
    assertEquals(403, api.as(u).post("/api/admin/tickets/" + id + "/replies", new JsonObject().put("body", "x")).status());

    // the chat goes; the ticket and its snapshot stay
    me.delete("/api/chats/" + chat).expect(204);
    JsonArray open = api.as(admin).get("/api/admin/tickets?status=open").expect(200).json().getJsonArray("items");
    assertTrue(open.stream().anyMatch(o -> id.equals(((JsonObject) o).getString("id"))), open.encode());
    JsonObject answered = api.as(admin).post("/api/admin/tickets/" + id + "/replies", new JsonObject().put("body", "Fixed, thanks."))
        .expect(201).json();
    assertEquals("answered", answered.getString("status"));
    JsonObject seen = me.get("/api/tickets/" + id).expect(200).json();
    assertEquals("Fixed, thanks.", seen.getJsonArray("replies").getJsonObject(0).getString("body"));
    assertTrue(seen.getJsonArray("replies").getJsonObject(0).getBoolean("fromAdmin"));
    assertEquals("5", seen.getJsonArray("messages").getJsonObject(1).getString("content"));
    assertEquals("open", me.post("/api/tickets/" + id + "/replies", new JsonObject().put("body", "Still wrong")).expect(201).json()
        .getString("status"), "the user's reply opens it again");
    assertEquals("closed", api.as(admin).patch("/api/admin/tickets/" + id, new JsonObject().put("status", "closed")).expect(200).json()
        .getString("status"));
    assertEquals(400, api.as(admin).patch("/api/admin/tickets/" + id, new JsonObject().put("status", "gone")).status());
    assertEquals(400, api.as(admin).get("/api/admin/tickets?status=gone").status());
    assertEquals(1, me.get("/api/tickets?status=closed").expect(200).json().getJsonArray("items").size());
  }
}
