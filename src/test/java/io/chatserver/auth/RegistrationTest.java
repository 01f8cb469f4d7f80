package io.chatserver.auth;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.config.AppConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** REGISTRATION=approval: the first account is the admin; later ones wait until the admin enables them. */
class RegistrationTest extends ServerTestBase {

  @Override
  protected JsonObject configure(JsonObject conf) {
    AppConfig.set(conf, "auth.registration", "approval");
    return conf;
  }

  private Api.Resp register(String name) {
    return api.post("/api/auth/register", new JsonObject().put("username", name).put("password", "correct horse 1"));
  }

  private Api.Resp login(String name) {
    return api.post("/api/auth/login", new JsonObject().put("username", name).put("password", "correct horse 1"));
  }

  @Test
  void newAccountsWaitForTheAdminsApproval() {
    JsonObject admin = register("boss").expect(201).json();
    assertEquals("admin", admin.getString("role"), "the first account is taken at once: it is the admin");
    JsonObject waiting = register("newcomer").expect(201).json();
    assertTrue(waiting.getBoolean("pending"), waiting.encode());
    assertNull(waiting.getValue("token"), "no session before the approval");
    Api.Resp refused = login("newcomer");
    assertEquals(403, refused.status(), refused.body());
    assertEquals("account_disabled", refused.json().getJsonObject("error").getString("code"));
    assertEquals(401, api.post("/api/auth/login", new JsonObject().put("username", "newcomer").put("password", "wrong password 1"))
        .status(), "a wrong password still says nothing about the account");
    // the admin approves it (Admin, Users: Enable)
    String id = waiting.getJsonObject("user").getString("id");
    api.withToken(admin.getString("token")).patch("/api/admin/users/" + id, new JsonObject().put("disabled", false)).expect(200);
    assertTrue(login("newcomer").expect(200).json().getString("token") != null);
  }
}
