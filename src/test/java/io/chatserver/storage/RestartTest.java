package io.chatserver.storage;

import io.chatserver.Api;
import io.chatserver.ChatServer;
import io.chatserver.TestServer;
import io.chatserver.config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded default: with no DB_URL the server starts its own PostgreSQL in DATA_DIR. Chats,
 * users and the generated JWT secret survive a restart, so old tokens keep working.
 */
@ExtendWith(VertxExtension.class)
class RestartTest {

  @Test
  void embeddedDatabaseAndJwtSecretSurviveARestart(Vertx vertx) {
    JsonObject conf = TestServer.config();
    AppConfig.set(conf, "db.url", null);
    String token;
    String chat;
    try (ChatServer first = TestServer.start(conf)) {
      Api api = Api.connect(vertx, first.port());
      Api.User u = api.register("keeper");
      token = u.token();
      chat = api.as(u).newChat("Remember me");
      api.as(u).addMessage(chat, null, "user", "persisted text");
    }
    assertTrue(Files.exists(TestServer.dataDir(conf).resolve("postgres/PG_VERSION")));
    assertTrue(Files.exists(TestServer.dataDir(conf).resolve("jwt-secret")));
    try (ChatServer second = TestServer.start(conf)) {
      Api api = Api.connect(vertx, second.port()).withToken(token);
      JsonObject got = api.get("/api/chats/" + chat).expect(200).json();
      assertEquals("Remember me", got.getString("title"));
      assertEquals("persisted text", got.getJsonArray("messages").getJsonObject(0).getString("content"));
      api.get("/health").expect(200);
      assertEquals("ok", api.get("/ready").json().getJsonObject("checks").getString("database"));
    }
  }
}
