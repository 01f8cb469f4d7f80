package io.chatserver.user;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class ProfileTest extends ServerTestBase {

  @Test
  void profileFieldsAreSavedAndPartialUpdatesKeepTheRest() {
    Api me = api.as(api.register("prof"));
    JsonObject updated = me.put("/api/users/me", new JsonObject()
        .put("nickname", "Ada").put("systemPrompt", "Be brief.").put("preferredModel", "stories260k")
        .put("acceptTerms", true)).expect(200).json();
    assertEquals("Ada", updated.getString("nickname"));
    assertNotNull(updated.getString("termsAcceptedAt"));
    me.put("/api/users/me", new JsonObject().put("nickname", "Ada L.")).expect(200);
    JsonObject got = me.get("/api/users/me").expect(200).json();
    assertEquals("Ada L.", got.getString("nickname"));
    assertEquals("Be brief.", got.getString("systemPrompt"));
    assertEquals("stories260k", got.getString("preferredModel"));
    // null clears
    me.put("/api/users/me", new JsonObject().putNull("systemPrompt")).expect(200);
    assertNull(me.get("/api/users/me").json().getString("systemPrompt"));
  }

  @Test
  void nicknameLengthIsValidated() {
    Api me = api.as(api.register("nick"));
    assertEquals("nickname", me.put("/api/users/me", new JsonObject().put("nickname", "")).expect(400).errorField());
    assertEquals("nickname", me.put("/api/users/me", new JsonObject().put("nickname", "n".repeat(51))).expect(400).errorField());
    me.put("/api/users/me", new JsonObject().put("nickname", "n".repeat(50))).expect(200);
    // counted in characters, not bytes
    me.put("/api/users/me", new JsonObject().put("nickname", "é".repeat(50))).expect(200);
    assertEquals("nickname", me.put("/api/users/me", new JsonObject().put("nickname", 42)).expect(400).errorField());
    assertEquals("acceptTerms", me.put("/api/users/me", new JsonObject().put("acceptTerms", false)).expect(400).errorField());
    assertEquals("colour", me.put("/api/users/me", new JsonObject().put("colour", "red")).expect(400).errorField());
  }

  @Test
  void samplingDefaultsAreValidatedAndMerged() {
    Api me = api.as(api.register("sampling"));
    JsonObject s = me.put("/api/users/me", new JsonObject().put("settings", new JsonObject()
        .put("temperature", 0.7).put("top_k", 40).put("top_p", 0.9).put("n_predict", 128)
        .put("repeat_penalty", 1.1).put("repeat_last_n", 64).put("seed", 42).put("num_ctx", 2048)))
        .expect(200).json().getJsonObject("settings");
    assertEquals(128, s.getInteger("max_tokens"));
    assertFalse(s.containsKey("n_predict"));
    // merge: other keys stay; null removes one
    s = me.put("/api/users/me", new JsonObject().put("settings", new JsonObject().put("temperature", 0.2).putNull("seed")))
        .expect(200).json().getJsonObject("settings");
    assertEquals(0.2, s.getDouble("temperature"));
    assertEquals(40, s.getInteger("top_k"));
    assertFalse(s.containsKey("seed"));

    assertEquals("settings.temperature", me.put("/api/users/me",
        new JsonObject().put("settings", new JsonObject().put("temperature", -1))).expect(400).errorField());
    assertEquals("settings.top_p", me.put("/api/users/me",
        new JsonObject().put("settings", new JsonObject().put("top_p", 1.5))).expect(400).errorField());
    assertEquals("settings.top_k", me.put("/api/users/me",
        new JsonObject().put("settings", new JsonObject().put("top_k", 2.5))).expect(400).errorField());
    assertEquals("settings.max_tokens", me.put("/api/users/me",
        new JsonObject().put("settings", new JsonObject().put("max_tokens", 0))).expect(400).errorField());
    assertEquals("settings.temperature", me.put("/api/users/me",
        new JsonObject().put("settings", new JsonObject().put("temperature", "hot"))).expect(400).errorField());
    assertEquals("settings.mirostat", me.put("/api/users/me",
        new JsonObject().put("settings", new JsonObject().put("mirostat", 1))).expect(400).errorField());
    // the failed updates changed nothing
    assertEquals(0.2, me.get("/api/users/me").json().getJsonObject("settings").getDouble("temperature"));
  }

  @Test
  void passwordChange() {
    Api.User u = api.register("pwchange");
    Api me = api.as(u);
    me.put("/api/users/me/password", new JsonObject().put("currentPassword", "wrong-one").put("newPassword", "new-password-1"))
        .expect(400);
    me.put("/api/users/me/password", new JsonObject().put("currentPassword", u.password()).put("newPassword", "new-password-1"))
        .expect(204);
    api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", u.password())).expect(401);
    api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", "new-password-1")).expect(200);
  }
}
