package io.chatserver.api;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input of every kind gets a JSON error with the right status, never a stack trace, and changes nothing. */
class ErrorsTest extends ServerTestBase {

  private Api me;
  private String chat;

  @BeforeAll
  void user() {
    me = api.as(api.register("errors"));
    chat = me.newChat("errors");
  }

  private static void assertCleanError(Api.Resp r, int status, String code) {
    assertEquals(status, r.status(), r.body());
    assertTrue(r.headers().get("content-type").startsWith("application/json"), r.headers().toString());
    JsonObject err = r.json().getJsonObject("error");
    assertEquals(code, err.getString("code"), r.body());
    assertFalse(err.getString("message").isBlank());
    assertFalse(r.body().contains("Exception") || r.body().contains("\tat ") || r.body().contains("io.chatserver"), r.body());
  }

  @Test
  void malformedJson() {
    assertCleanError(me.send(HttpMethod.POST, "/api/chats", "{\"title\": ", "application/json"), 400, "invalid_json");
    assertCleanError(me.send(HttpMethod.POST, "/api/chats", "[1,2]", "application/json"), 400, "invalid_json");
    assertCleanError(me.send(HttpMethod.POST, "/api/chats", "\"just a string\"", "application/json"), 400, "invalid_json");
    assertCleanError(api.send(HttpMethod.POST, "/api/auth/login", "{nope", "application/json"), 400, "invalid_json");
  }

  @Test
  void wrongTypesNameTheField() {
    Api.Resp r = me.post("/api/chats", new JsonObject().put("title", 42));
    assertCleanError(r, 400, "validation_error");
    assertEquals("title", r.errorField());
    r = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("role", "user").put("content", new JsonObject()));
    assertEquals("content", r.errorField());
    r = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("role", "wizard").put("content", "x"));
    assertEquals("role", r.errorField());
    r = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("role", "user").put("content", "x").put("parentId", 7));
    assertEquals("parentId", r.errorField());
    r = me.patch("/api/chats/" + chat, new JsonObject().put("favorite", "yes"));
    assertEquals("favorite", r.errorField());
    r = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("role", "user").put("content", "a\u0000b"));
    assertEquals("content", r.expect(400).errorField());
    assertEquals(0, me.get("/api/chats/" + chat).json().getJsonArray("messages").size());
  }

  @Test
  void hugeStringsAndBodies() {
    Api.Resp r = me.post("/api/chats/" + chat + "/messages",
        new JsonObject().put("role", "user").put("content", "x".repeat(200_001)));
    assertCleanError(r, 400, "validation_error");
    assertEquals("content", r.errorField());
    assertCleanError(me.post("/api/chats", new JsonObject().put("title", "t".repeat(201))), 400, "validation_error");
    assertCleanError(me.post("/api/chats/" + chat + "/messages",
        new JsonObject().put("role", "user").put("content", "x".repeat(2_000_000))), 413, "payload_too_large");
    assertEquals(0, me.get("/api/chats/" + chat).json().getJsonArray("messages").size());
  }

  @Test
  void unknownAndInvalidIds() {
    assertCleanError(me.get("/api/chats/" + UUID.randomUUID()), 404, "not_found");
    assertCleanError(me.get("/api/chats/" + chat + "/messages/" + UUID.randomUUID()), 404, "not_found");
    assertCleanError(me.post("/api/chats/" + chat + "/messages", new JsonObject().put("parentId", UUID.randomUUID().toString())
        .put("role", "user").put("content", "orphan")), 404, "not_found");
    Api.Resp bad = me.get("/api/chats/not-a-uuid");
    assertCleanError(bad, 400, "validation_error");
    assertEquals("chatId", bad.errorField());
    assertCleanError(me.get("/api/chats/1'%20OR%20'1'='1"), 400, "validation_error");
    assertCleanError(me.get("/api/chats/" + chat + "/branch?leaf=zzz"), 400, "validation_error");
    assertCleanError(me.delete("/api/personas/%3B%20DROP%20TABLE%20users"), 400, "validation_error");
    assertCleanError(me.get("/api/personas/" + UUID.randomUUID()), 404, "not_found");
  }

  @Test
  void mediaTypeMethodAndUnknownRoutes() {
    assertCleanError(me.send(HttpMethod.POST, "/api/chats", "{\"title\":\"x\"}", "text/plain"), 415, "unsupported_media_type");
    assertCleanError(me.send(HttpMethod.POST, "/api/chats", "{\"title\":\"x\"}", null), 415, "unsupported_media_type");
    assertCleanError(me.send(HttpMethod.PUT, "/api/chats/" + chat, "{}", "application/json"), 405, "method_not_allowed");
    assertCleanError(me.get("/api/no/such/thing"), 404, "not_found");
    assertCleanError(api.get("/nothing-here"), 404, "not_found");
  }

  @Test
  void badQueryParameters() {
    assertEquals("limit", me.get("/api/chats?limit=0").expect(400).errorField());
    assertEquals("limit", me.get("/api/chats?limit=abc").expect(400).errorField());
    assertEquals("offset", me.get("/api/chats?offset=-1").expect(400).errorField());
    assertEquals("favorite", me.get("/api/chats?favorite=maybe").expect(400).errorField());
    assertEquals("keepFavorites", me.delete("/api/chats?keepFavorites=perhaps").expect(400).errorField());
    assertEquals("format", me.get("/api/chats/" + chat + "/export?format=pdf").expect(400).errorField());
    assertEquals("q", me.get("/api/chats?q=" + "a".repeat(501)).expect(400).errorField());
  }

  @Test
  void unknownFieldsAreRejected() {
    assertEquals("owner", me.post("/api/chats", new JsonObject().put("title", "x").put("owner", "someone-else"))
        .expect(400).errorField());
  }

  @Test
  void internalErrorsHideTheirDetails() {
    ApiError e = ErrorHandler.toApiError(new IllegalStateException("relation \"users\" password_hash secret"), -1);
    assertEquals(500, e.status());
    assertEquals("internal_error", e.code());
    assertFalse(e.toJson().encode().contains("password_hash"));
  }
}
