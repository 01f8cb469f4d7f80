package io.chatserver.system;

import io.chatserver.Api;
import io.chatserver.ChatServer;
import io.chatserver.ServerTestBase;
import io.chatserver.SseClient;
import io.chatserver.TestServer;
import io.chatserver.inference.engine.BatchScheduler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Maintenance and read-only modes: who may set them, what they refuse, what goes on, and that they are kept. */
class SystemStatusTest extends ServerTestBase {

  private JsonObject conf;
  private Api.User admin;
  private Api.User user;

  @Override
  protected JsonObject configure(JsonObject c) {
    conf = c;
    return c;
  }

  @Override
  protected boolean models() {
    return true;
  }

  @BeforeAll
  void users() {
    admin = api.register("admin");
    user = api.register("user");
  }

  @AfterEach
  void normal() {
    api.as(admin).put("/api/system/status", new JsonObject().put("mode", "normal")).expect(200);
  }

  private JsonObject answer(Api.User u, String chat) {
    return api.as(u).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Hello").put("generate", true)
        .put("options", new JsonObject().put("max_tokens", 8))).json();
  }

  @Test
  void anyoneReadsTheStatusOnlyAdminsChangeItAndBadInputIsA400() {
    JsonObject status = api.get("/api/system/status").expect(200).json();
    // what a client may offer: no search provider is configured here, so no "Search the web"
    assertEquals(Boolean.FALSE, status.getJsonObject("features").getBoolean("webSearch"), status.encode());
    assertEquals("normal", status.getString("mode"));
    assertEquals(403, api.as(user).put("/api/system/status", new JsonObject().put("mode", "maintenance")).status());
    assertEquals(401, api.put("/api/system/status", new JsonObject().put("mode", "maintenance")).status());
    assertEquals(400, api.as(admin).put("/api/system/status", new JsonObject().put("mode", "closed")).status());
    assertEquals(400, api.as(admin).put("/api/system/status", new JsonObject().put("mode", "maintenance")
        .put("message", "x".repeat(501))).status());
    assertEquals("normal", api.get("/api/system/status").expect(200).json().getString("mode"));
  }

  @Test
  void maintenanceRefusesNewAnswersLetsRunningOnesFinishAndKeepsEverythingElse() throws Exception {
    String chat = api.as(user).newChat("before");
    BatchScheduler scheduler = server.inference().scheduler("stories260k");
    io.chatserver.inference.HeldSteps.of(scheduler).hold();
    JsonObject running;
    try {
      running = answer(user, chat);
      JsonObject set = api.as(admin).put("/api/system/status", new JsonObject().put("mode", "maintenance")
          .put("message", "Upgrading the models until 14:00")).expect(200).json();
      assertEquals("maintenance", set.getString("mode"));
      JsonObject read = api.get("/api/system/status").expect(200).json();
      read.remove("features"); // what a client may show, beside the mode
      assertEquals(set, read);
      Api.Resp refused = api.as(user).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "More")
          .put("generate", true));
      assertEquals(503, refused.status(), refused.body());
      assertEquals("maintenance", refused.errorCode());
      assertTrue(refused.json().getJsonObject("error").getString("message").contains("Upgrading the models until 14:00"));
      assertEquals("60", refused.headers().get("retry-after"));
      Api.Resp v1 = api.as(user).post("/v1/chat/completions", new JsonObject().put("messages", new io.vertx.core.json.JsonArray()
          .add(new JsonObject().put("role", "user").put("content", "Hi"))));
      assertEquals(503, v1.status(), v1.body());
      api.as(user).post("/api/chats", new JsonObject().put("title", "still possible")).expect(201);
    } finally {
      io.chatserver.inference.HeldSteps.of(scheduler).resume();
    }
    List<SseClient.Event> events = SseClient.read(server.port(), "/api/jobs/" + running.getString("jobId") + "/stream",
        user.token(), null, e -> e.name().equals("done"));
    assertEquals("done", events.get(events.size() - 1).data().getString("status"), "the running answer finished");
  }

  @Test
  void readOnlyRefusesEveryWriteButLoginAndReadsAndIsKeptAcrossARestart(Vertx vertx) {
    String chat = api.as(user).newChat("kept");
    api.as(admin).put("/api/system/status", new JsonObject().put("mode", "read-only").put("message", "Moving to new disks"))
        .expect(200);
    Api.Resp write = api.as(user).post("/api/chats", new JsonObject().put("title", "new"));
    assertEquals(503, write.status(), write.body());
    assertEquals("read_only", write.errorCode());
    assertTrue(write.body().contains("Moving to new disks"), write.body());
    assertEquals(503, api.as(user).delete("/api/chats/" + chat).status());
    assertEquals(503, api.as(user).patch("/api/chats/" + chat, new JsonObject().put("title", "x")).status());
    assertEquals(503, api.post("/api/auth/register", new JsonObject().put("username", "newcomer").put("password", "long enough 1"))
        .status());
    JsonObject login = api.post("/api/auth/login", new JsonObject().put("username", user.username()).put("password", user.password()))
        .expect(200).json();
    assertEquals("kept", api.withToken(login.getString("token")).get("/api/chats/" + chat).expect(200).json().getString("title"));

    // a server started again on the same database is read-only too
    ChatServer again = TestServer.start(TestServer.config().put("db", conf.getJsonObject("db").copy()));
    try {
      Api other = Api.connect(vertx, again.port());
      JsonObject status = other.get("/api/system/status").expect(200).json();
      assertEquals("read-only", status.getString("mode"));
      assertEquals("Moving to new disks", status.getString("message"));
      assertEquals(503, other.withToken(login.getString("token")).post("/api/chats", new JsonObject()).status());
    } finally {
      again.close();
    }
  }
}
