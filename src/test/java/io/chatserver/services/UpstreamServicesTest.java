package io.chatserver.services;

import io.chatserver.Api;
import io.chatserver.ChatServer;
import io.chatserver.ServerTestBase;
import io.chatserver.SseClient;
import io.chatserver.TestServer;
import io.chatserver.inference.engine.BatchScheduler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An upstream OpenAI-compatible service behind this server: the upstream is a second, real
 * instance of this server (its /v1, an API key, the real stories260K model); this one has no
 * model of its own and serves the upstream's as "up/stories260k" through the same APIs.
 */
class UpstreamServicesTest extends ServerTestBase {

  private static final String MODEL = "up/stories260k";
  private ChatServer upstream;
  private Api up;
  private String key;
  private Api.User admin;
  private String serviceId;

  /** Every log line of this JVM while the class runs (both servers log here). */
  private final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
      new ch.qos.logback.core.read.ListAppender<>();

  @BeforeAll
  void startUpstream(Vertx vertx) throws Exception {
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.setContext(root.getLoggerContext());
    logs.start();
    root.addAppender(logs);
    admin = api.register("admin"); // the first account of this server
    JsonObject upstreamConf = TestServer.config();
    // all of the gateway's traffic comes with one key, so its user may run several answers at once
    io.chatserver.config.AppConfig.set(upstreamConf, "generation.maxConcurrentPerUser", 8);
    upstream = TestServer.startWithModels(upstreamConf);
    up = Api.connect(vertx, upstream.port());
    Api.User owner = up.register("upstream");
    key = up.as(owner).post("/api/users/me/keys", new JsonObject().put("name", "gateway")).expect(201).json().getString("key");
    JsonObject created = api.as(admin).post("/api/admin/services", new JsonObject().put("name", "up")
        .put("baseUrl", "http://127.0.0.1:" + upstream.port() + "/v1/").put("apiKey", key).put("maxConcurrent", 4))
        .expect(201).json();
    serviceId = created.getString("id");
    assertTrue(created.getBoolean("hasApiKey"));
    assertFalse(created.encode().contains(key), "the key is write-only");
    assertEquals("http://127.0.0.1:" + upstream.port() + "/v1", created.getString("baseUrl"));
    io.chatserver.Await.until(() -> "ready".equals(status(MODEL)), "the upstream's model to be served");
  }

  @AfterAll
  void stopUpstream() {
    if (upstream != null) {
      upstream.close();
    }
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
  }

  @Test
  void theKeyIsInNoLogLine() throws Exception {
    // a service whose key is wrong and one that cannot be reached make the server log about them
    JsonObject broken = api.as(admin).post("/api/admin/services", new JsonObject().put("name", "nowhere")
        .put("baseUrl", "http://127.0.0.1:9/v1").put("apiKey", key + "-other")).expect(201).json();
    io.chatserver.Await.until(() -> "error".equals(status("nowhere/*")), "the unreachable service's error");
    api.as(admin).delete("/api/admin/services/" + broken.getString("id")).expect(204);
    assertTrue(logs.list.size() > 10, "the log was captured");
    for (var e : List.copyOf(logs.list)) {
      assertFalse(e.getFormattedMessage().contains(key), "a log line holds the key: " + e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        assertFalse(e.getThrowableProxy().getMessage() != null && e.getThrowableProxy().getMessage().contains(key));
      }
    }
  }


  @Test
  void aServicePointingAtThisSameServerIsRecognisedAndSaid() throws Exception {
    String own = api.as(admin).post("/api/users/me/keys", new JsonObject().put("name", "loop")).expect(201).json().getString("key");
    JsonObject loop = api.as(admin).post("/api/admin/services", new JsonObject().put("name", "loop")
        .put("baseUrl", "http://127.0.0.1:" + server.port() + "/v1").put("apiKey", own)).expect(201).json();
    try {
      JsonObject test = api.as(admin).post("/api/admin/services/" + loop.getString("id") + "/test", new JsonObject()).expect(200).json();
      assertTrue(test.getString("warning", "").contains("is this same server"), test.encode());
      // the real upstream, another server, carries no such warning
      JsonObject other = api.as(admin).post("/api/admin/services/" + serviceId + "/test", new JsonObject()).expect(200).json();
      assertFalse(other.containsKey("warning"), other.encode());
    } finally {
      api.as(admin).delete("/api/admin/services/" + loop.getString("id")).expect(204);
    }
  }

  private String status(String model) {
    for (Object o : api.as(admin).get("/api/models").expect(200).json().getJsonArray("models")) {
      JsonObject m = (JsonObject) o;
      if (model.equals(m.getString("name"))) {
        return m.getString("status");
      }
    }
    return null;
  }

  private static JsonArray question() {
    return new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me a story."));
  }

  @Test
  void onlyAdminsManageServices() {
    Api.User user = api.register("plain");
    assertEquals(403, api.as(user).get("/api/admin/services").status());
    assertEquals(403, api.as(user).post("/api/admin/services", new JsonObject().put("name", "x").put("baseUrl", "http://127.0.0.1:1/v1")).status());
    Api.Resp list = api.as(admin).get("/api/admin/services").expect(200);
    assertFalse(list.body().contains(key));
    assertEquals(409, api.as(admin).post("/api/admin/services", new JsonObject().put("name", "up")
        .put("baseUrl", "http://127.0.0.1:1/v1")).status());
    assertEquals("baseUrl", api.as(admin).post("/api/admin/services", new JsonObject().put("name", "bad")
        .put("baseUrl", "ftp://x")).errorField());
    JsonObject test = api.as(admin).post("/api/admin/services/" + serviceId + "/test", new JsonObject()).expect(200).json();
    assertEquals(new JsonArray().add("stories260k"), test.getJsonArray("models"));
  }

  @Test
  void greedyTextThroughTheGatewayEqualsTheUpstreamsOwnAnswer() {
    Api.User u = api.register("gw");
    JsonObject options = new JsonObject().put("temperature", 0).put("max_tokens", 24);
    JsonObject viaGateway = api.as(u).post("/api/chat", new JsonObject().put("model", MODEL).put("messages", question())
        .put("options", options).put("stream", false)).expect(200).json();
    JsonObject direct = up.withToken(key).post("/v1/chat/completions", new JsonObject().put("model", "stories260k")
        .put("messages", question()).put("temperature", 0).put("max_tokens", 24)).expect(200).json();
    String upstreamText = direct.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
    assertFalse(upstreamText.isEmpty());
    assertEquals(upstreamText, viaGateway.getJsonObject("message").getString("content"));
    assertEquals(MODEL, viaGateway.getString("model"));
    assertTrue(viaGateway.getJsonObject("usage").getInteger("completionTokens") > 0);
  }

  @Test
  void openAiParametersTheLocalEngineLacksAreRefusedByNameAndDeveloperIsSystem() {
    Api.Resp local = up.withToken(key).post("/v1/chat/completions", new JsonObject().put("model", "stories260k")
        .put("messages", question()).put("presence_penalty", 0.5));
    assertEquals(400, local.status(), local.body());
    JsonObject err = local.json().getJsonObject("error");
    assertEquals("presence_penalty", err.getString("param"));
    assertTrue(err.getString("message").contains("stories260k"), err.encode());
    // through the gateway they reach the upstream: here a second instance whose local model refuses them by name
    Api.Resp tools = api.as(admin).post("/v1/chat/completions", new JsonObject().put("model", MODEL).put("messages", question())
        .put("tools", new JsonArray().add(new JsonObject().put("type", "function")
            .put("function", new JsonObject().put("name", "weather").put("parameters", new JsonObject())))));
    assertEquals(400, tools.status(), tools.body());
    JsonObject refused = tools.json().getJsonObject("error");
    assertEquals("upstream_invalid_request", refused.getString("code"), refused.encode());
    assertTrue(refused.getString("message").contains("service up") && refused.getString("message").contains("tools")
        && refused.getString("message").contains("stories260k"), refused.encode());
    JsonArray withDeveloper = new JsonArray().add(new JsonObject().put("role", "developer").put("content", "Be brief."))
        .add(new JsonObject().put("role", "user").put("content", "Hi"));
    up.withToken(key).post("/v1/chat/completions", new JsonObject().put("model", "stories260k").put("messages", withDeveloper)
        .put("max_tokens", 2)).expect(200);
  }

  @Test
  void aChatAnswerStreamsIsSavedAndCounted() throws Exception {
    Api.User u = api.register("chatter");
    Api me = api.as(u);
    String chat = me.newChat("via upstream");
    JsonObject started = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Once upon a time")
        .put("generate", true).put("model", MODEL).put("options", new JsonObject().put("temperature", 0).put("max_tokens", 20)))
        .expect(201).json();
    List<SseClient.Event> events = SseClient.read(server.port(), "/api/jobs/" + started.getString("jobId") + "/stream",
        u.token(), null, e -> e.name().equals("done"));
    String streamed = SseClient.text(events);
    JsonObject done = events.get(events.size() - 1).data();
    assertEquals("done", done.getString("status"), done.encode());
    JsonObject saved = me.get("/api/chats/" + chat + "/messages/" + started.getString("assistantMessageId")).expect(200).json();
    assertEquals(streamed, saved.getString("content"));
    assertEquals(MODEL, saved.getString("model"));
    JsonArray usage = me.get("/api/users/me/usage").expect(200).json().getJsonArray("items");
    assertTrue(usage.stream().anyMatch(r -> MODEL.equals(((JsonObject) r).getString("model"))
        && ((JsonObject) r).getLong("completionTokens") > 0), usage.encode());
  }

  private JsonObject answerInChat(Api.User u, String path, JsonObject body, int status) throws Exception {
    JsonObject started = api.as(u).post(path, body).expect(status).json();
    List<SseClient.Event> ev = SseClient.read(server.port(), "/api/jobs/" + started.getString("jobId") + "/stream",
        u.token(), null, e -> e.name().equals("done"));
    return ev.get(ev.size() - 1).data();
  }

  @Test
  void aBotOnAnUpstreamModelAnswersRegeneratesAndCountsUsage() throws Exception {
    api.as(admin).post("/api/admin/bots", new JsonObject().put("code", "sea").put("name", "Sea stories")
        .put("systemPrompt", "You are a storyteller who only tells stories about the sea and its ships.").put("model", MODEL)
        .put("settings", new JsonObject().put("temperature", 0).put("max_tokens", 8))).expect(201);
    Api.User u = api.register("sailor");
    Api me = api.as(u);
    String chat = me.post("/api/chats", new JsonObject().put("botCode", "sea")).expect(201).json().getString("id");
    JsonObject first = answerInChat(u, "/api/chats/" + chat + "/messages",
        new JsonObject().put("content", "Hello").put("generate", true), 201);
    assertEquals("done", first.getString("status"), first.encode());
    assertEquals(MODEL, first.getString("model"));
    String answerId = first.getString("messageId");
    JsonObject again = answerInChat(u, "/api/chats/" + chat + "/messages/" + answerId + "/regenerate", new JsonObject(), 201);
    assertEquals("done", again.getString("status"), again.encode());
    JsonObject branch = me.get("/api/chats/" + chat + "/branch").expect(200).json();
    JsonObject last = branch.getJsonArray("messages").getJsonObject(branch.getJsonArray("messages").size() - 1);
    assertEquals(2, last.getJsonArray("siblingIds").size(), "regenerate made a sibling");
    // the bot's system prompt reached the upstream: its prompt is longer than a plain chat's
    String plain = me.newChat("plain");
    JsonObject bare = answerInChat(u, "/api/chats/" + plain + "/messages", new JsonObject().put("content", "Hello")
        .put("generate", true).put("model", MODEL).put("options", new JsonObject().put("max_tokens", 8)), 201);
    assertTrue(first.getJsonObject("usage").getInteger("promptTokens") > bare.getJsonObject("usage").getInteger("promptTokens"),
        first.getJsonObject("usage") + " vs " + bare.getJsonObject("usage"));
    JsonArray usage = me.get("/api/users/me/usage").expect(200).json().getJsonArray("items");
    assertTrue(usage.stream().anyMatch(r -> MODEL.equals(((JsonObject) r).getString("model"))
        && ((JsonObject) r).getLong("requests") >= 3), usage.encode());
  }

  @Test
  void stopCancelsTheUpstreamJob() throws Exception {
    BatchScheduler upstreamScheduler = upstream.inference().scheduler("stories260k");
    io.chatserver.inference.HeldSteps.of(upstreamScheduler).hold();
    try {
      Api.User u = api.register("stopper");
      Api me = api.as(u);
      String chat = me.newChat("stop me");
      JsonObject started = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Once")
          .put("generate", true).put("model", MODEL).put("options", new JsonObject().put("max_tokens", 300))).expect(201).json();
      io.chatserver.Await.until(() -> upstreamScheduler.running() == 1, "the upstream to run the job");
      io.chatserver.inference.HeldSteps.of(upstreamScheduler).release(3);
      JsonObject stopped = me.post("/api/jobs/" + started.getString("jobId") + "/stop", new JsonObject()).expect(200).json();
      assertEquals("stopped", stopped.getString("status"));
      io.chatserver.Await.until(() -> upstreamScheduler.running() + upstreamScheduler.waiting() == 0, "the upstream job to be cancelled");
      JsonObject saved = me.get("/api/chats/" + chat + "/messages/" + started.getString("assistantMessageId")).expect(200).json();
      assertEquals("stopped", saved.getString("status"));
    } finally {
      io.chatserver.inference.HeldSteps.of(upstreamScheduler).resume();
    }
  }

  @Test
  void anUpstreamThatRefusesAtOnceIsAClearHttpErrorAndLeavesNoAnswerBehind() throws Exception {
    // a key of a second upstream user, who already runs as many answers as the upstream allows one user
    Api.User busy = up.register("busy");
    String busyKey = up.as(busy).post("/api/users/me/keys", new JsonObject().put("name", "gw")).expect(201).json().getString("key");
    JsonObject limited = api.as(admin).post("/api/admin/services", new JsonObject().put("name", "limited")
        .put("baseUrl", "http://127.0.0.1:" + upstream.port() + "/v1").put("apiKey", busyKey)
        .put("models", new JsonArray().add("stories260k"))).expect(201).json();
    JsonObject down = api.as(admin).post("/api/admin/services", new JsonObject().put("name", "down")
        .put("baseUrl", "http://127.0.0.1:9/v1").put("models", new JsonArray().add("stories260k"))).expect(201).json();
    BatchScheduler upstreamScheduler = upstream.inference().scheduler("stories260k");
    List<String> held = new java.util.ArrayList<>();
    io.chatserver.inference.HeldSteps.of(upstreamScheduler).hold();
    try {
      String upChat = up.as(busy).newChat("filling");
      while (true) {
        Api.Resp r = up.as(busy).post("/api/chats/" + upChat + "/messages", new JsonObject().put("content", "Hi").put("generate", true));
        if (r.status() == 429) {
          break;
        }
        held.add(r.expect(201).json().getString("jobId"));
        assertTrue(held.size() <= 64, "the upstream never limited its user");
      }
      io.chatserver.Await.until(() -> "ready".equals(status("limited/stories260k")) && "ready".equals(status("down/stories260k")),
          "the services' models to be served");
      Api.User u = api.register("refused");
      String chat = api.as(u).newChat("refused");
      Api.Resp rateLimited = api.as(u).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Hello")
          .put("generate", true).put("model", "limited/stories260k"));
      assertEquals(429, rateLimited.status(), rateLimited.body());
      assertEquals("upstream_rate_limited", rateLimited.errorCode());
      assertEquals("2", rateLimited.headers().get("retry-after"), "the upstream's Retry-After is passed on");
      assertTrue(rateLimited.json().getJsonObject("error").getString("message").contains("service limited"), rateLimited.body());
      Api.Resp viaOpenAi = api.as(u).post("/v1/chat/completions", new JsonObject().put("model", "limited/stories260k")
          .put("messages", question()));
      assertEquals(429, viaOpenAi.status(), viaOpenAi.body());
      assertEquals("2", viaOpenAi.headers().get("retry-after"));
      assertEquals("rate_limit_error", viaOpenAi.json().getJsonObject("error").getString("type"));

      Api.Resp unreachable = api.as(u).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Hello")
          .put("generate", true).put("model", "down/stories260k"));
      assertEquals(503, unreachable.status(), unreachable.body());
      assertEquals("upstream_unavailable", unreachable.errorCode());
      assertTrue(unreachable.json().getJsonObject("error").getString("message").contains("service down"), unreachable.body());
      // a refused answer leaves nothing behind: no assistant message in the chat
      JsonArray messages = api.as(u).get("/api/chats/" + chat + "/branch").expect(200).json().getJsonArray("messages");
      assertTrue(messages.stream().noneMatch(m -> "assistant".equals(((JsonObject) m).getString("role"))), messages.encode());
    } finally {
      held.forEach(job -> up.as(busy).post("/api/jobs/" + job + "/stop", new JsonObject()));
      io.chatserver.inference.HeldSteps.of(upstreamScheduler).resume();
      io.chatserver.Await.until(() -> upstreamScheduler.running() + upstreamScheduler.waiting() == 0, "the held answers to stop");
      api.as(admin).delete("/api/admin/services/" + limited.getString("id")).expect(204);
      api.as(admin).delete("/api/admin/services/" + down.getString("id")).expect(204);
    }
  }

  @Test
  void aWrongKeyIsAClearErrorNamingTheService() throws Exception {
    JsonObject other = api.as(admin).post("/api/admin/services", new JsonObject().put("name", "wrongkey")
        .put("baseUrl", "http://127.0.0.1:" + upstream.port() + "/v1").put("apiKey", "sk-cs-not-a-real-key")).expect(201).json();
    JsonObject listed = api.as(admin).post("/api/admin/services", new JsonObject().put("name", "wrongkey2")
        .put("baseUrl", "http://127.0.0.1:" + upstream.port() + "/v1").put("apiKey", "sk-cs-not-a-real-key")
        .put("models", new JsonArray().add("stories260k"))).expect(201).json();
    try {
      io.chatserver.Await.until(() -> "ready".equals(status("wrongkey2/stories260k")), "the allow-listed model to be served");
      Api.Resp answer = api.as(admin).post("/v1/chat/completions", new JsonObject().put("model", "wrongkey2/stories260k")
          .put("messages", question()));
      assertEquals(502, answer.status(), answer.body());
      assertEquals("upstream_auth", answer.json().getJsonObject("error").getString("code"));
      assertTrue(answer.json().getJsonObject("error").getString("message").contains("service wrongkey2"), answer.body());
    } finally {
      api.as(admin).delete("/api/admin/services/" + listed.getString("id")).expect(204);
    }
    try {
      Api.Resp test = api.as(admin).post("/api/admin/services/" + other.getString("id") + "/test", new JsonObject());
      assertEquals(502, test.status(), test.body());
      String message = test.json().getJsonObject("error").getString("message");
      assertTrue(message.contains("service wrongkey") && message.contains("refused the API key"), message);
      io.chatserver.Await.until(() -> "error".equals(status("wrongkey/*")), "the service's error in /api/models");
      assertEquals("ready", status(MODEL), "the other service is not affected");
    } finally {
      api.as(admin).delete("/api/admin/services/" + other.getString("id")).expect(204);
    }
    io.chatserver.Await.until(() -> status("wrongkey/*") == null, "the removed service to disappear");
  }
}
