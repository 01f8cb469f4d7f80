package io.chatserver.bot;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.SseClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Admin-defined bots: management, search, the start page, chats with a bot (its prompt, model and defaults), images. */
class BotsTest extends ServerTestBase {

  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  private Api.User admin;
  private WebClient http;

  @Override
  protected boolean models() {
    return true;
  }

  @BeforeAll
  void setUp(Vertx vertx) {
    admin = api.register("botadmin");
    http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port()));
  }

  private JsonObject bot(String code, boolean start, String systemPrompt) {
    return api.as(admin).post("/api/admin/bots", new JsonObject().put("code", code).put("name", "Bot " + code)
        .put("description", "tells stories about " + code).put("systemPrompt", systemPrompt).put("model", "stories260k")
        .put("settings", new JsonObject().put("temperature", 0).put("max_tokens", 6))
        .put("starters", new JsonArray().add("Tell me a story.")).put("start", start)).expect(201).json();
  }

  private HttpResponse<Buffer> raw(String method, String path, String token, Buffer body, String type) {
    var req = http.request(io.vertx.core.http.HttpMethod.valueOf(method), path).putHeader("Authorization", "Bearer " + token);
    if (type != null) {
      req.putHeader("Content-Type", type);
    }
    return (body == null ? req.send() : req.sendBuffer(body)).await();
  }

  @Test
  void usersFindBotsAndTheStartPage() {
    bot("dragons", true, "You love dragons.");
    bot("pirates", false, "You are a pirate.");
    Api.User u = api.register("finder");
    assertEquals(403, api.as(u).post("/api/admin/bots", new JsonObject().put("code", "x").put("name", "x")).status());
    JsonArray found = api.as(u).get("/api/bots?q=pirat").expect(200).json().getJsonArray("items");
    assertEquals(1, found.size());
    assertEquals("pirates", found.getJsonObject(0).getString("code"));
    JsonArray start = api.as(u).get("/api/bots/start").expect(200).json().getJsonArray("items");
    assertTrue(start.stream().allMatch(b -> ((JsonObject) b).getBoolean("start")), start.encode());
    assertTrue(start.stream().anyMatch(b -> "dragons".equals(((JsonObject) b).getString("code"))));
    assertEquals(409, api.as(admin).post("/api/admin/bots", new JsonObject().put("code", "pirates").put("name", "again")).status());
  }

  @Test
  void aChatWithABotUsesItsPromptModelAndDefaultsAndOutlivesIt() throws Exception {
    JsonObject b = bot("teller", false, "You are a storyteller who loves the sea.");
    Api.User u = api.register("teller");
    Api me = api.as(u);
    JsonObject chat = me.post("/api/chats", new JsonObject().put("botCode", "teller")).expect(201).json();
    assertEquals(b.getString("id"), chat.getString("botId"));
    assertEquals("You are a storyteller who loves the sea.", chat.getString("systemMessage"));
    assertEquals("Bot teller", chat.getString("title"));
    JsonObject started = me.post("/api/chats/" + chat.getString("id") + "/messages", new JsonObject().put("content", "Hello")
        .put("generate", true)).expect(201).json();
    assertEquals("stories260k", started.getString("model"), "the bot's model");
    List<SseClient.Event> ev = SseClient.read(server.port(), "/api/jobs/" + started.getString("jobId") + "/stream", u.token(),
        null, e -> e.name().equals("done"));
    JsonObject done = ev.get(ev.size() - 1).data();
    assertEquals(6, done.getJsonObject("usage").getInteger("completionTokens"), "the bot's max_tokens");
    // the bot's system prompt reached the model's prompt: a chat without it has a shorter prompt
    String plain = me.newChat("plain");
    JsonObject plainStarted = me.post("/api/chats/" + plain + "/messages", new JsonObject().put("content", "Hello")
        .put("generate", true).put("options", new JsonObject().put("max_tokens", 6))).expect(201).json();
    List<SseClient.Event> ev2 = SseClient.read(server.port(), "/api/jobs/" + plainStarted.getString("jobId") + "/stream",
        u.token(), null, e -> e.name().equals("done"));
    assertTrue(done.getJsonObject("usage").getInteger("promptTokens")
        > ev2.get(ev2.size() - 1).data().getJsonObject("usage").getInteger("promptTokens"));
    // the user's chats with this bot
    JsonArray withBot = me.get("/api/chats?botId=" + b.getString("id")).expect(200).json().getJsonArray("items");
    assertEquals(1, withBot.size());
    // deleting the bot keeps the chat readable
    api.as(admin).delete("/api/admin/bots/" + b.getString("id")).expect(204);
    JsonObject after = me.get("/api/chats/" + chat.getString("id")).expect(200).json();
    assertNull(after.getString("botId"));
    assertEquals(2, after.getJsonArray("messages").size());
    assertEquals(404, me.post("/api/chats", new JsonObject().put("botCode", "teller")).status());
  }

  @Test
  void aSavedPersonaJoinsABotsChatWithoutLosingTheBotsPrompt() {
    JsonObject b = bot("sailor", false, "You are a sailor.");
    Api me = api.as(api.register("crew"));
    JsonObject chat = me.post("/api/chats", new JsonObject().put("botId", b.getString("id"))).expect(201).json();
    JsonObject persona = me.post("/api/personas", new JsonObject().put("name", "Pirate").put("content", "Talk like a pirate."))
        .expect(201).json();
    JsonObject after = me.patch("/api/chats/" + chat.getString("id"), new JsonObject().put("personaId", persona.getString("id")))
        .expect(200).json();
    assertEquals("You are a sailor.\n\nTalk like a pirate.", after.getString("systemMessage"));
    assertEquals(b.getString("id"), after.getString("botId"), "still the bot's chat");
    JsonArray byPersona = me.get("/api/chats?personaId=" + persona.getString("id")).expect(200).json().getJsonArray("items");
    assertEquals(1, byPersona.size());
    // someone else's persona is not found; both at once are refused
    JsonObject theirs = api.as(api.register("stranger")).post("/api/personas", new JsonObject().put("name", "X").put("content", "Y"))
        .expect(201).json();
    assertEquals(404, me.patch("/api/chats/" + chat.getString("id"), new JsonObject().put("personaId", theirs.getString("id"))).status());
    assertEquals(400, me.patch("/api/chats/" + chat.getString("id"), new JsonObject().put("personaId", persona.getString("id"))
        .put("systemMessage", "x")).status());
  }

  @Test
  void onlyAnAdminClearsTheModelsCaches() {
    assertEquals(403, api.as(api.register("curious")).post("/api/admin/models/caches/clear", new JsonObject()).status());
    assertTrue(api.as(admin).post("/api/admin/models/caches/clear", new JsonObject()).expect(202).json().getBoolean("clearing"));
  }

  @Test
  void imagesAreCheckedByTheirBytesAndCached() {
    JsonObject b = bot("painter", false, null);
    String id = b.getString("id");
    assertEquals(204, raw("PUT", "/api/admin/bots/" + id + "/image", admin.token(), Buffer.buffer(PNG), "image/png").statusCode());
    assertEquals(415, raw("PUT", "/api/admin/bots/" + id + "/image", admin.token(), Buffer.buffer("<svg onload=alert(1)>"),
        "image/png").statusCode(), "the content, not the header, decides");
    assertEquals(413, raw("PUT", "/api/admin/bots/" + id + "/image", admin.token(),
        Buffer.buffer(new byte[BotRoutes.IMAGE_MAX + 10]), "image/png").statusCode());
    Api.User u = api.register("viewer");
    assertEquals(403, raw("PUT", "/api/admin/bots/" + id + "/image", u.token(), Buffer.buffer(PNG), "image/png").statusCode());
    HttpResponse<Buffer> img = raw("GET", "/api/bots/" + id + "/image", u.token(), null, null);
    assertEquals(200, img.statusCode());
    assertEquals("image/png", img.getHeader("Content-Type"));
    assertArrayEquals(PNG, img.body().getBytes());
    assertTrue(img.getHeader("Cache-Control").contains("max-age"));
    var again = http.get("/api/bots/" + id + "/image").putHeader("Authorization", "Bearer " + u.token())
        .putHeader("If-None-Match", img.getHeader("ETag")).send().await();
    assertEquals(304, again.statusCode());
    assertEquals("/api/bots/" + id + "/image", api.as(u).get("/api/bots/" + id).expect(200).json().getString("image"));
  }
}
