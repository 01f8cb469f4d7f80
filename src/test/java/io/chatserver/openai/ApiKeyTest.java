package io.chatserver.openai;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiKeyTest extends ServerTestBase {

  @Test
  void keysAuthenticateUntilRevokedAndAreShownOnce() {
    Api.User u = api.register("keys");
    Api me = api.as(u);
    JsonObject created = me.post("/api/users/me/keys", new JsonObject().put("name", "ci")).expect(201).json();
    String key = created.getString("key");
    assertTrue(key.startsWith("sk-cs-"));
    String list = me.get("/api/users/me/keys").expect(200).body();
    assertTrue(list.contains(created.getString("id")));
    assertFalse(list.contains(key), "the key itself is never shown again");
    Api byKey = api.withToken(key);
    assertEquals(u.username(), byKey.get("/api/users/me").expect(200).json().getString("username"));
    assertEquals(200, byKey.get("/v1/models").status());
    // another user cannot revoke it
    Api other = api.as(api.register("other"));
    assertEquals(404, other.delete("/api/users/me/keys/" + created.getString("id")).status());
    me.delete("/api/users/me/keys/" + created.getString("id")).expect(204);
    assertEquals(401, byKey.get("/api/users/me").status());
    Api.Resp v1 = byKey.get("/v1/models");
    assertEquals(401, v1.status());
    JsonObject err = v1.json().getJsonObject("error");
    assertEquals("authentication_error", err.getString("type"), "OpenAI-shaped errors under /v1");
    assertEquals(401, api.withToken("sk-cs-made-up").get("/v1/models").status());
  }
}
