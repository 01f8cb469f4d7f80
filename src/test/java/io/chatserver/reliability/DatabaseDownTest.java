package io.chatserver.reliability;

import io.chatserver.Api;
import io.chatserver.ChatServer;
import io.chatserver.TestServer;
import io.chatserver.config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The database goes away under a running server (a real PostgreSQL of this test's own, stopped):
 * requests that need it answer 503 database_unavailable with Retry-After, never a 401 that would
 * log people out, never a 500.
 */
@ExtendWith(VertxExtension.class)
class DatabaseDownTest {

  @Test
  void aStoppedDatabaseIsA503NotA401(Vertx vertx) throws Exception {
    EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(Files.createTempDirectory("down-pg"))
        .setCleanDataDirectory(true).setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("unix_socket_directories", "").start();
    JsonObject conf = TestServer.config();
    AppConfig.set(conf, "db.url", "postgresql://postgres:postgres@127.0.0.1:" + pg.getPort() + "/postgres");
    ChatServer server = TestServer.start(conf);
    try {
      Api api = Api.connect(vertx, server.port());
      Api.User u = api.register("outage");
      api.as(u).get("/api/chats").expect(200);
      pg.close(); // the postmaster stops: every connection of the pool is gone

      Api.Resp chats = api.as(u).get("/api/chats");
      assertEquals(503, chats.status(), chats.body());
      assertEquals("database_unavailable", chats.errorCode());
      assertEquals("5", chats.headers().get("retry-after"));
      Api.Resp login = api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", u.password()));
      assertEquals(503, login.status(), login.body());
      assertEquals("database_unavailable", login.errorCode());
    } finally {
      server.close();
      pg.close();
    }
  }
}
