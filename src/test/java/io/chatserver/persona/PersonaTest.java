package io.chatserver.persona;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PersonaTest extends ServerTestBase {

  @Test
  void crudAndCount() {
    Api me = api.as(api.register("persona"));
    assertEquals(0, me.get("/api/personas/count").expect(200).json().getLong("count"));
    String pirate = me.post("/api/personas", new JsonObject().put("name", "Pirate").put("content", "Talk like a pirate."))
        .expect(201).json().getString("id");
    me.post("/api/personas", new JsonObject().put("name", "Poet").put("content", "Answer in verse.")).expect(201);
    assertEquals(2, me.get("/api/personas/count").json().getLong("count"));
    assertEquals(2, me.get("/api/personas").expect(200).items().size());
    assertEquals(1, me.get("/api/personas?limit=1&offset=1").expect(200).items().size());

    JsonObject changed = me.put("/api/personas/" + pirate, new JsonObject().put("content", "Arr.")).expect(200).json();
    assertEquals("Pirate", changed.getString("name"));
    assertEquals("Arr.", me.get("/api/personas/" + pirate).expect(200).json().getString("content"));

    // a chat can start from a persona
    JsonObject chat = me.post("/api/chats", new JsonObject().put("title", "ahoy").put("personaId", pirate)).expect(201).json();
    assertEquals("Arr.", chat.getString("systemMessage"));

    me.delete("/api/personas/" + pirate).expect(204);
    me.get("/api/personas/" + pirate).expect(404);
    me.delete("/api/personas/" + pirate).expect(404);
    assertEquals(1, me.get("/api/personas/count").json().getLong("count"));
  }

  @Test
  void validation() {
    Api me = api.as(api.register("pval"));
    assertEquals("name", me.post("/api/personas", new JsonObject().put("content", "x")).expect(400).errorField());
    assertEquals("content", me.post("/api/personas", new JsonObject().put("name", "x").put("content", "")).expect(400).errorField());
    assertEquals("name", me.post("/api/personas", new JsonObject().put("name", "x".repeat(101)).put("content", "y"))
        .expect(400).errorField());
    assertEquals(0, me.get("/api/personas/count").json().getLong("count"));
  }
}
