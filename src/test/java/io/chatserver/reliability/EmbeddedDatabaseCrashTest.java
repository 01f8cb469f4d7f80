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

/**
 * kill -9 of the server's own embedded PostgreSQL: it is started again and everything is still
 * there, and an answer that was streaming through the outage is saved complete.
 */
@ExtendWith(VertxExtension.class)
class EmbeddedDatabaseCrashTest {

  @Test
  void aKilledPostmasterComesBackWithTheData(Vertx vertx) throws Exception {
    JsonObject conf = TestServer.config();
    AppConfig.set(conf, "db.url", null); // the embedded PostgreSQL, in this server's data directory
    ChatServer server = TestServer.startWithModels(conf);
    try {
      Api api = Api.connect(vertx, server.port());
      Api.User u = api.register("survivor");
      String chat = api.as(u).newChat("before the crash");
      // an answer is streaming (held by the scheduler's test hook) when the database dies
      io.chatserver.inference.engine.BatchScheduler scheduler = server.inference().scheduler("stories260k");
      io.chatserver.inference.HeldSteps.of(scheduler).hold();
      JsonObject started;
      java.util.concurrent.CompletableFuture<java.util.List<io.chatserver.SseClient.Event>> streamed;
      java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
      try {
        started = api.as(u).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Once upon a time")
            .put("generate", true).put("options", new JsonObject().put("temperature", 0).put("max_tokens", 60))).expect(201).json();
        String jobId = started.getString("jobId");
        streamed = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
          try {
            return io.chatserver.SseClient.read(server.port(), "/api/jobs/" + jobId + "/stream", u.token(), null, e -> {
              seen.incrementAndGet();
              return e.name().equals("done");
            });
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        });
        Await.until(() -> scheduler.running() == 1, "the answer to start");
        io.chatserver.inference.HeldSteps.of(scheduler).release(5);
        Await.until(() -> seen.get() >= 3, "a few tokens to reach the client");

        Path pidFile = TestServer.dataDir(conf).resolve("postgres/postmaster.pid");
        long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
        assertTrue(new ProcessBuilder("kill", "-9", String.valueOf(pid)).start().waitFor() == 0);
        postmaster.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        io.chatserver.inference.HeldSteps.of(scheduler).resume(); // the rest of the answer streams while the database is down or coming back
      }
      long killedAt = System.nanoTime();

      JsonObject credentials = new JsonObject().put("username", u.username()).put("password", u.password());
      Await.until(() -> api.post("/api/auth/login", credentials).status() == 200, "the database to be back");
      assertTrue(System.nanoTime() - killedAt < 15_000_000_000L, "back within 15 s");
      api.get("/ready").expect(200);
      JsonObject login = api.post("/api/auth/login", credentials).expect(200).json();
      Api again = api.withToken(login.getString("token"));
      assertEquals("before the crash", again.get("/api/chats/" + chat).expect(200).json().getString("title"));
      api.as(u).get("/api/users/me").expect(200); // sessions survive too

      java.util.List<io.chatserver.SseClient.Event> events = streamed.get(60, java.util.concurrent.TimeUnit.SECONDS);
      JsonObject done = events.get(events.size() - 1).data();
      assertEquals("done", done.getString("status"), done.encode());
      String text = io.chatserver.SseClient.text(events);
      assertTrue(text.length() > 20, text);
      JsonObject saved = again.get("/api/chats/" + chat + "/messages/" + started.getString("assistantMessageId")).expect(200).json();
      assertEquals(text, saved.getString("content"), "the saved answer is what was streamed, all of it");
      assertEquals("done", saved.getString("status"));
    } finally {
      server.close();
    }
  }
}
