package io.chatserver.personality;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.config.AppConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The personalities catalog: built in, filtered, extended by an admin's folder, per chat and as a user default. */
class PersonalityTest extends ServerTestBase {

  @Override
  protected JsonObject configure(JsonObject conf) {
    try {
      Path dir = Files.createTempDirectory("personalities");
      Files.writeString(dir.resolve("pirate.json"), new JsonObject().put("name", "Pirate").put("category", "Fun").put("language", "en")
          .put("description", "Arr").put("systemPrompt", "Talk like a pirate.").put("starters", new JsonArray().add("Ahoy"))
          .put("settings", new JsonObject().put("temperature", 1.1)).encode());
      Files.writeString(dir.resolve("broken.json"), "{\"name\": \"no prompt\"}");
      Files.writeString(dir.resolve("editor.json"), new JsonObject().put("name", "Our editor").put("category", "Writing")
          .put("language", "en").put("systemPrompt", "Edit in our house style.").encode());
      AppConfig.set(conf, "personalities.dir", dir.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return conf;
  }

  @Test
  void theCatalogIsListedByLanguageAndCategoryWithTheAdminsFolderAdded() {
    Api me = api.as(api.register("reader"));
    JsonArray languages = me.get("/api/personalities/languages").expect(200).json().getJsonArray("items");
    assertEquals(new JsonArray().add("de").add("en").add("fr"), languages);
    JsonArray german = me.get("/api/personalities?language=de").expect(200).json().getJsonArray("items");
    assertTrue(german.size() >= 2 && german.stream().allMatch(p -> "de".equals(((JsonObject) p).getString("language"))));
    assertTrue(me.get("/api/personalities/categories?language=de").expect(200).json().getJsonArray("items").contains("Schreiben"));
    JsonArray fun = me.get("/api/personalities?category=Fun").expect(200).json().getJsonArray("items");
    assertEquals(1, fun.size(), "the admin's own folder adds to the catalog");
    assertEquals("Talk like a pirate.", fun.getJsonObject(0).getString("systemPrompt"));
    assertEquals(new JsonArray().add("Ahoy"), fun.getJsonObject(0).getJsonArray("starters"));
    assertEquals("Edit in our house style.", me.get("/api/personalities/editor").expect(200).json().getString("systemPrompt"),
        "a file of the same id replaces the built-in one");
    assertEquals(404, me.get("/api/personalities/broken").status(), "a broken file is skipped");
    assertEquals(404, me.get("/api/personalities/nope").status());
    assertEquals(0, me.get("/api/personalities?language=xx").expect(200).json().getJsonArray("items").size());
    assertEquals(401, api.get("/api/personalities").status());
  }

  @Test
  void aChatStartsWithAPersonalityAndTheUsersDefaultAppliesToNewChats() {
    Api me = api.as(api.register("chooser"));
    JsonObject chat = me.post("/api/chats", new JsonObject().put("personalityId", "tutor")).expect(201).json();
    assertEquals("tutor", chat.getString("personality"));
    assertEquals("Patient tutor", chat.getString("title"));
    assertTrue(chat.getString("systemMessage").startsWith("You are a patient tutor."));
    assertEquals(404, me.post("/api/chats", new JsonObject().put("personalityId", "nope")).status());
    assertEquals(400, me.post("/api/chats", new JsonObject().put("personalityId", "tutor").put("systemMessage", "x")).status());

    assertEquals("defaultPersonality", me.put("/api/users/me", new JsonObject().put("defaultPersonality", "nope")).errorField());
    assertEquals("pirate", me.put("/api/users/me", new JsonObject().put("defaultPersonality", "pirate")).expect(200).json()
        .getString("defaultPersonality"));
    JsonObject plain = me.post("/api/chats", new JsonObject().put("title", "default")).expect(201).json();
    assertEquals("pirate", plain.getString("personality"));
    assertEquals("Talk like a pirate.", plain.getString("systemMessage"));
    JsonObject own = me.post("/api/chats", new JsonObject().put("systemMessage", "Be terse.")).expect(201).json();
    assertNull(own.getString("personality"), "an explicit system message wins over the default");
    me.put("/api/users/me", new JsonObject().putNull("defaultPersonality")).expect(200);
    assertNull(me.post("/api/chats", new JsonObject()).expect(201).json().getString("systemMessage"));
  }
}
