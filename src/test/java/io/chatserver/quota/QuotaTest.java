package io.chatserver.quota;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.SseClient;
import io.chatserver.config.AppConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Daily token quotas: the role's default from the config, a user's own set by an admin, and the 429 that says which. */
class QuotaTest extends ServerTestBase {

  private Api.User admin;

  @Override
  protected boolean models() {
    return true;
  }

  @Override
  protected JsonObject configure(JsonObject conf) {
    AppConfig.set(conf, "quotas.user.tokensPerDay", 1_000_000);
    return conf;
  }

  @BeforeAll
  void firstAccountIsAdmin() {
    admin = api.register("admin");
  }

  private Api.Resp answer(Api.User u, String chat) throws Exception {
    Api.Resp r = api.as(u).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Hello").put("generate", true)
        .put("options", new JsonObject().put("max_tokens", 4)));
    if (r.status() == 201) {
      List<SseClient.Event> ev = SseClient.read(server.port(), "/api/jobs/" + r.json().getString("jobId") + "/stream", u.token(),
          null, e -> e.name().equals("done"));
      assertEquals("done", ev.get(ev.size() - 1).data().getString("status"));
    }
    return r;
  }

  @Test
  void aUsersOwnDailyLimitRefusesTheNextAnswerWithA429ThatSaysWhich() throws Exception {
    Api.User u = api.register("quota");
    JsonObject q = api.as(u).get("/api/users/me/quota").expect(200).json();
    assertEquals(1_000_000, q.getJsonObject("tokensPerDay").getInteger("limit"), "the role's default from the config");
    assertFalse(q.getJsonObject("tokensPerDay").getBoolean("own"));
    assertEquals(0L, q.getJsonObject("tokensPerDay").getLong("used"));
    assertEquals(null, q.getJsonObject("requestsPerMinute").getValue("limit"));

    JsonObject set = api.as(admin).put("/api/admin/users/" + u.id() + "/quota", new JsonObject().put("tokensPerDay", 1)).expect(200).json();
    assertTrue(set.getJsonObject("tokensPerDay").getBoolean("own"));
    String chat = api.as(u).newChat("quota");
    answer(u, chat).expect(201); // nothing used yet
    long used = api.as(u).get("/api/users/me/quota").expect(200).json().getJsonObject("tokensPerDay").getLong("used");
    assertTrue(used > 1, "prompt and completion tokens count: " + used);

    Api.Resp refused = answer(u, chat);
    assertEquals(429, refused.status(), refused.body());
    assertEquals("token_quota_exceeded", refused.errorCode());
    assertTrue(refused.json().getJsonObject("error").getString("message").contains("daily limit of 1 tokens"), refused.body());
    long retry = Long.parseLong(refused.headers().get("retry-after"));
    assertTrue(retry >= 1 && retry <= 86_400, "until midnight UTC: " + retry);
    Api.Resp v1 = api.as(u).post("/v1/chat/completions", new JsonObject().put("messages", new JsonArray()
        .add(new JsonObject().put("role", "user").put("content", "Hi"))));
    assertEquals(429, v1.status());
    assertEquals("rate_limit_error", v1.json().getJsonObject("error").getString("type"));

    // back to the role's default
    api.as(admin).put("/api/admin/users/" + u.id() + "/quota", new JsonObject()).expect(200);
    answer(u, chat).expect(201);
  }

  @Test
  void onlyAdminsSetQuotasAndBadValuesAreA400() {
    Api.User u = api.register("plain");
    assertEquals(403, api.as(u).put("/api/admin/users/" + u.id() + "/quota", new JsonObject().put("tokensPerDay", 10)).status());
    assertEquals(403, api.as(u).get("/api/admin/users/" + u.id() + "/quota").status());
    for (Object bad : new Object[] {0, -5, "many", 1.5}) {
      Api.Resp r = api.as(admin).put("/api/admin/users/" + u.id() + "/quota", new JsonObject().put("tokensPerDay", bad));
      assertEquals(400, r.status(), bad + ": " + r.body());
    }
    assertEquals(400, api.as(admin).put("/api/admin/users/" + u.id() + "/quota", new JsonObject().put("other", 1)).status());
    assertEquals(404, api.as(admin).put("/api/admin/users/" + UUID.randomUUID() + "/quota", new JsonObject().put("tokensPerDay", 5))
        .status());
    assertEquals(404, api.as(admin).get("/api/admin/users/" + UUID.randomUUID() + "/quota").status());
  }
}
