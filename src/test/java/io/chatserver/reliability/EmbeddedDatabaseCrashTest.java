package io.chatserver.reliability;

import io.chatserver.Api;
import io.chatserver.Await;
import io.chatserver.ChatServer;
import io.chatserver.TestServer;
import io.chatserver.config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kill -9 of the server's own embedded PostgreSQL: it is started again and everything is still there. */
@ExtendWith(VertxExtension.class)
class EmbeddedDatabaseCrashTest {

  @Test
  void aKilledPostmasterComesBackWithTheData(Vertx vertx) throws Exception {
    JsonObject conf = TestServer.config();
    AppConfig.set(conf, "db.url", null); // the embedded PostgreSQL, in this server's data directory
    ChatServer server = TestServer.start(conf);
    try {
      Api api = Api.connect(vertx, server.port());
      Api.User u = api.register("survivor");
      String chat = api.as(u).newChat("before the crash");
      Path pidFile = TestServer.dataDir(conf).resolve("postgres/postmaster.pid");
      long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
      ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
      assertTrue(new ProcessBuilder("kill", "-9", String.valueOf(pid)).start().waitFor() == 0);
      postmaster.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);

      JsonObject credentials = new JsonObject().put("username", u.username()).put("password", u.password());
      Await.until(() -> api.post("/api/auth/login", credentials).status() == 200, "the database to be back");
      JsonObject login = api.post("/api/auth/login", credentials).expect(200).json();
      assertEquals("before the crash", api.withToken(login.getString("token")).get("/api/chats/" + chat).expect(200).json()
          .getString("title"));
      api.as(u).get("/api/users/me").expect(200); // sessions survive too
    } finally {
      server.close();
    }
  }
}
