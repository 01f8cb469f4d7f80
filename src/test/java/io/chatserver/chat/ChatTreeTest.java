package io.chatserver.chat;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatTreeTest extends ServerTestBase {

  private static List<String> ids(JsonArray messages) {
    List<String> out = new ArrayList<>();
    messages.forEach(m -> out.add(((JsonObject) m).getString("id")));
    return out;
  }

  private static List<String> contents(JsonArray messages) {
    List<String> out = new ArrayList<>();
    messages.forEach(m -> out.add(((JsonObject) m).getString("content")));
    return out;
  }

  @Test
  void editingAndRegeneratingMakeSiblingBranchesAndKeepTheOldOnes() {
    Api me = api.as(api.register("tree"));
    String chat = me.newChat("Trees");
    String u1 = me.addMessage(chat, null, "user", "Hello");
    String a1 = me.addMessage(chat, null, "assistant", "Hi!");
    String u2 = me.addMessage(chat, null, "user", "Tell me a story");
    String a2 = me.addMessage(chat, null, "assistant", "Once upon a time");
    JsonObject branch = me.get("/api/chats/" + chat + "/branch").expect(200).json();
    assertEquals(List.of(u1, a1, u2, a2), ids(branch.getJsonArray("messages")));
    assertEquals(a2, branch.getString("leafId"));

    // "edit" u2: a new user message under a1 beside u2
    String u2b = me.addMessage(chat, a1, "user", "Tell me a joke");
    assertEquals(List.of(u2, u2b), ids(me.get("/api/chats/" + chat + "/messages/" + a1 + "/children").expect(200).items()));
    JsonArray current = me.get("/api/chats/" + chat + "/branch").json().getJsonArray("messages");
    assertEquals(List.of(u1, a1, u2b), ids(current));
    JsonObject last = current.getJsonObject(2);
    assertEquals(new JsonArray().add(u2).add(u2b), last.getJsonArray("siblingIds"));
    assertEquals(1, last.getInteger("siblingIndex"));

    // the old branch is still there, whole
    assertEquals(List.of(u1, a1, u2, a2), ids(me.get("/api/chats/" + chat + "/branch?leaf=" + u2).json().getJsonArray("messages")));
    assertEquals(List.of(u1, a1, u2, a2), ids(me.get("/api/chats/" + chat + "/branch?leaf=" + a2).json().getJsonArray("messages")));
    // through an inner node: continued to its newest leaf
    assertEquals(List.of(u1, a1, u2b), ids(me.get("/api/chats/" + chat + "/branch?leaf=" + a1).json().getJsonArray("messages")));

    // "regenerate" a1: a second assistant answer under u1
    String a1b = me.addMessage(chat, u1, "assistant", "Hello there!");
    assertEquals(List.of(a1, a1b), ids(me.get("/api/chats/" + chat + "/messages/" + u1 + "/children").items()));
    assertEquals(List.of(u1, a1b), ids(me.get("/api/chats/" + chat + "/branch").json().getJsonArray("messages")));

    // continuing without parentId goes under the current leaf
    String u3 = me.addMessage(chat, null, "user", "Thanks");
    JsonObject m = me.get("/api/chats/" + chat + "/messages/" + u3).expect(200).json();
    assertEquals(a1b, m.getString("parentId"));

    // switching the current branch
    me.patch("/api/chats/" + chat, new JsonObject().put("currentLeafId", a2)).expect(200);
    assertEquals(List.of(u1, a1, u2, a2), ids(me.get("/api/chats/" + chat + "/branch").json().getJsonArray("messages")));
    String u4 = me.addMessage(chat, null, "user", "And then?");
    assertEquals(a2, me.get("/api/chats/" + chat + "/messages/" + u4).json().getString("parentId"));

    // the whole tree
    JsonObject full = me.get("/api/chats/" + chat).expect(200).json();
    assertEquals(8, full.getJsonArray("messages").size());
    assertEquals(u4, full.getString("currentLeafId"));
    for (Object o : full.getJsonArray("messages")) {
      JsonObject msg = (JsonObject) o;
      for (String key : List.of("id", "parentId", "role", "content", "createdAt", "rating")) {
        assertTrue(msg.containsKey(key), key + " missing");
      }
    }
  }

  @Test
  void explicitNullParentStartsANewRoot() {
    Api me = api.as(api.register("roots"));
    String chat = me.newChat("Roots");
    String r1 = me.addMessage(chat, null, "user", "first");
    String r2 = me.post("/api/chats/" + chat + "/messages", new JsonObject().putNull("parentId").put("role", "user")
        .put("content", "first, edited")).expect(201).json().getString("id");
    JsonObject m = me.get("/api/chats/" + chat + "/messages/" + r2).json();
    assertNull(m.getString("parentId"));
    JsonArray branch = me.get("/api/chats/" + chat + "/branch").json().getJsonArray("messages");
    assertEquals(List.of(r2), ids(branch));
    assertEquals(new JsonArray().add(r1).add(r2), branch.getJsonObject(0).getJsonArray("siblingIds"));
  }

  @Test
  void editInPlaceRatingAndDeleteSubtree() {
    Api me = api.as(api.register("edit"));
    String chat = me.newChat("Edits");
    String u1 = me.addMessage(chat, null, "user", "Q");
    String a1 = me.addMessage(chat, null, "assistant", "A");
    String u2 = me.addMessage(chat, null, "user", "Q2");
    String a1b = me.addMessage(chat, u1, "assistant", "A (again)");

    JsonObject edited = me.patch("/api/chats/" + chat + "/messages/" + a1, new JsonObject().put("content", "A, fixed"))
        .expect(200).json();
    assertEquals("A, fixed", edited.getString("content"));
    assertEquals(4, me.get("/api/chats/" + chat).json().getJsonArray("messages").size());

    JsonObject rated = me.post("/api/chats/" + chat + "/messages/" + a1 + "/rating",
        new JsonObject().put("value", -1).put("comment", "wrong")).expect(200).json();
    assertEquals(-1, rated.getInteger("rating"));
    assertEquals("wrong", rated.getString("ratingComment"));
    assertEquals("value", me.post("/api/chats/" + chat + "/messages/" + a1 + "/rating",
        new JsonObject().put("value", 2)).expect(400).errorField());

    // current branch is u1 -> a1b; delete a1's subtree (a1, u2): the current branch is untouched
    me.patch("/api/chats/" + chat, new JsonObject().put("currentLeafId", u2)).expect(200);
    me.delete("/api/chats/" + chat + "/messages/" + a1).expect(204);
    JsonObject full = me.get("/api/chats/" + chat).json();
    assertEquals(List.of(u1, a1b), ids(full.getJsonArray("messages")));
    // the current leaf was inside the deleted subtree: it moves to the parent's newest leaf
    assertEquals(a1b, full.getString("currentLeafId"));
    me.get("/api/chats/" + chat + "/messages/" + u2).expect(404);
    me.delete("/api/chats/" + chat + "/messages/" + a1).expect(404);
    me.delete("/api/chats/" + chat + "/messages/" + u1).expect(204);
    JsonObject empty = me.get("/api/chats/" + chat).json();
    assertEquals(0, empty.getJsonArray("messages").size());
    assertNull(empty.getString("currentLeafId"));
    assertEquals(0, me.get("/api/chats/" + chat + "/branch").json().getJsonArray("messages").size());
  }

  @Test
  void listPagingSearchFavoritesAndDeleteAll() {
    Api me = api.as(api.register("list"));
    String c1 = me.newChat("Cooking pasta");
    String c2 = me.newChat("Travel plans");
    String c3 = me.newChat("Untitled");
    me.addMessage(c3, null, "user", "How do dragons breathe fire?");
    me.addMessage(c1, null, "user", "carbonara recipe");   // c1 is now the most recently active

    JsonObject page = me.get("/api/chats?limit=2").expect(200).json();
    assertEquals(3, page.getLong("total"));
    assertEquals(List.of(c1, c3), ids(page.getJsonArray("items")));
    assertEquals(List.of(c2), ids(me.get("/api/chats?limit=2&offset=2").items()));

    assertEquals(List.of(c2), ids(me.get("/api/chats?q=travel").items()));
    assertEquals(List.of(c3), ids(me.get("/api/chats?q=dragon").items()));      // prefix of message text
    assertEquals(List.of(c1), ids(me.get("/api/chats?q=CARBON%20recipe").items()));
    assertEquals(0, me.get("/api/chats?q=zebra").items().size());
    assertEquals(0, me.get("/api/chats?q=%27%3B%20DROP%20TABLE%20chats%3B--").expect(200).items().size());
    assertEquals(0, me.get("/api/chats?q=%26%7C!()%3A*").expect(200).items().size());

    JsonObject fav = me.patch("/api/chats/" + c2, new JsonObject().put("favorite", true).put("title", "Trips")
        .put("systemMessage", "You are a travel agent.")).expect(200).json();
    assertEquals("Trips", fav.getString("title"));
    assertEquals("You are a travel agent.", fav.getString("systemMessage"));
    assertEquals(List.of(c2), ids(me.get("/api/chats?favorite=true").items()));
    assertEquals(2, me.get("/api/chats?favorite=false").items().size());

    assertEquals(2, me.delete("/api/chats?keepFavorites=true").expect(200).json().getInteger("deleted"));
    assertEquals(List.of(c2), ids(me.get("/api/chats").items()));
    assertEquals(1, me.delete("/api/chats?keepFavorites=false").expect(200).json().getInteger("deleted"));
    assertEquals(0, me.get("/api/chats").json().getLong("total"));
  }

  @Test
  void deleteChatRemovesItsMessages() {
    Api me = api.as(api.register("delchat"));
    String chat = me.newChat("Gone soon");
    String m = me.addMessage(chat, null, "user", "bye");
    me.delete("/api/chats/" + chat).expect(204);
    me.get("/api/chats/" + chat).expect(404);
    me.get("/api/chats/" + chat + "/messages/" + m).expect(404);
    me.delete("/api/chats/" + chat).expect(404);
  }

  @Test
  void unicodeAndSqlMetacharactersAreStoredVerbatim() {
    Api me = api.as(api.register("verbatim"));
    String title = "Robert'); DROP TABLE chats;-- \uD83D\uDE00 \u00e9\u4e2d";
    String chat = me.post("/api/chats", new JsonObject().put("title", title)).expect(201).json().getString("id");
    String text = "SELECT * FROM users WHERE '1'='1'; -- \\ % _ nul-free \uD83E\uDD16";
    String id = me.addMessage(chat, null, "user", text);
    assertEquals(title, me.get("/api/chats/" + chat).json().getString("title"));
    assertEquals(text, me.get("/api/chats/" + chat + "/messages/" + id).json().getString("content"));
    assertEquals(List.of(text), contents(me.get("/api/chats/" + chat + "/branch").json().getJsonArray("messages")));
  }
}
