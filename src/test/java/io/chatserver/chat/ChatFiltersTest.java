package io.chatserver.chat;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Listing and deleting chats by bot, by saved persona and by system message touches only those
 * chats; a query parameter a route does not take (a misspelt filter) is a 400, never ignored.
 */
class ChatFiltersTest extends ServerTestBase {

  private Set<String> titles(Api me, String query) {
    Set<String> out = new TreeSet<>();
    for (Object o : me.get("/api/chats" + query).expect(200).json().getJsonArray("items")) {
      out.add(((JsonObject) o).getString("title"));
    }
    return out;
  }

  @Test
  void deletingByBotPersonaOrSystemMessageDeletesOnlyThoseChats() {
    Api admin = api.as(api.register("filters-admin"));
    Api me = api.as(api.register("filters"));
    String bot = admin.post("/api/admin/bots", new JsonObject().put("code", "pirate").put("name", "Pirate")
        .put("systemPrompt", "Talk like a pirate.").put("start", true)).expect(201).json().getString("id");
    String persona = me.post("/api/personas", new JsonObject().put("name", "Poet").put("content", "Answer in verse."))
        .expect(201).json().getString("id");
    me.post("/api/chats", new JsonObject().put("title", "plain")).expect(201);
    me.post("/api/chats", new JsonObject().put("title", "kept favourite")).expect(201);
    String fav = me.get("/api/chats").expect(200).json().getJsonArray("items").stream().map(o -> (JsonObject) o)
        .filter(c -> c.getString("title").equals("kept favourite")).findFirst().orElseThrow().getString("id");
    me.patch("/api/chats/" + fav, new JsonObject().put("favorite", true)).expect(200);
    me.post("/api/chats", new JsonObject().put("title", "with bot").put("botId", bot)).expect(201);
    me.post("/api/chats", new JsonObject().put("title", "with persona").put("personaId", persona)).expect(201);
    me.post("/api/chats", new JsonObject().put("title", "with system").put("systemMessage", "Be brief.")).expect(201);

    assertEquals(Set.of("with bot"), titles(me, "?botId=" + bot));
    assertEquals(Set.of("with persona"), titles(me, "?personaId=" + persona));
    assertEquals(Set.of("with system"), titles(me, "?systemMessage=" + URLEncoder.encode("Be brief.", StandardCharsets.UTF_8)));

    // a misspelt filter on a destructive route deletes nothing and says which parameter
    Api.Resp typo = me.delete("/api/chats?botid=" + bot + "&keepFavorites=true");
    assertEquals(400, typo.status());
    assertEquals("botid", typo.errorField());
    assertEquals(5, titles(me, "").size());
    assertEquals("bogus", me.get("/api/chats?bogus=1").errorField());

    assertEquals(1, me.delete("/api/chats?botId=" + bot + "&keepFavorites=true").expect(200).json().getInteger("deleted"));
    assertEquals(Set.of("plain", "kept favourite", "with persona", "with system"), titles(me, ""));
    assertEquals(1, me.delete("/api/chats?personaId=" + persona).expect(200).json().getInteger("deleted"));
    assertEquals(1, me.delete("/api/chats?systemMessage=" + URLEncoder.encode("Be brief.", StandardCharsets.UTF_8))
        .expect(200).json().getInteger("deleted"));
    assertEquals(Set.of("plain", "kept favourite"), titles(me, ""));
    assertEquals(1, me.delete("/api/chats?keepFavorites=true").expect(200).json().getInteger("deleted"));
    assertEquals(Set.of("kept favourite"), titles(me, ""));
    JsonArray left = me.get("/api/chats").expect(200).json().getJsonArray("items");
    assertEquals(fav, left.getJsonObject(0).getString("id"));
  }

  @Test
  void renamingAChatChangesItsUpdatedAtButStarringDoesNot() throws Exception {
    Api me = api.as(api.register("renamer"));
    JsonObject chat = me.post("/api/chats", new JsonObject().put("title", "old")).expect(201).json();
    Thread.sleep(5); // timestamps are microseconds apart at least; make the difference plain
    JsonObject starred = me.patch("/api/chats/" + chat.getString("id"), new JsonObject().put("favorite", true)).expect(200).json();
    assertEquals(chat.getString("updatedAt"), starred.getString("updatedAt"));
    JsonObject renamed = me.patch("/api/chats/" + chat.getString("id"), new JsonObject().put("title", "new")).expect(200).json();
    assertEquals(true, java.time.OffsetDateTime.parse(renamed.getString("updatedAt"))
        .isAfter(java.time.OffsetDateTime.parse(chat.getString("updatedAt"))), renamed.getString("updatedAt") + " after " + chat.getString("updatedAt"));
  }
}
