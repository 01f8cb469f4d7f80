package io.chatserver.auth;

import io.chatserver.Api;
import io.chatserver.ChatServer;
import io.chatserver.TestServer;
import io.chatserver.config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;

@ExtendWith(VertxExtension.class)
class AdminBootstrapTest {

  @Test
  void configuredAdminIsCreatedAndRegisteredUsersAreNotAdmin(Vertx vertx) {
    JsonObject conf = TestServer.config();
    AppConfig.set(conf, "auth.adminUsername", "operator");
    AppConfig.set(conf, "auth.adminPassword", "operator-password");
    try (ChatServer server = TestServer.start(conf)) {
      Api api = Api.connect(vertx, server.port());
      Api.User someone = api.register("someone");
      assertEquals("user", api.as(someone).get("/api/users/me").json().getString("role"));
      JsonObject login = api.post("/api/auth/login",
          new JsonObject().put("username", "operator").put("password", "operator-password")).expect(200).json();
      assertEquals("admin", login.getString("role"));
      JsonObject users = api.withToken(login.getString("token")).get("/api/admin/users").expect(200).json();
      assertEquals(2, users.getLong("total"));
    }
  }
}
