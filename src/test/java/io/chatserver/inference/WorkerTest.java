package io.chatserver.inference;

import io.chatserver.Await;
import io.chatserver.Api;
import io.chatserver.ChatServer;
import io.chatserver.TestServer;
import io.chatserver.bus.Addresses;
import io.chatserver.bus.JobFailure;
import io.chatserver.config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The worker verticle on the event bus, in a real server that imported the shared model on start. */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerTest {

  private ChatServer server;
  private Vertx vertx;
  private String brokenDir;

  @BeforeAll
  void start() throws Exception {
    JsonObject conf = TestServer.config();
    AppConfig.set(conf, "models.enabled", true);
    AppConfig.set(conf, "models.dir", Files.createTempDirectory("models").toString());
    AppConfig.set(conf, "models.shared", SharedModels.sharedDir().toString());
    AppConfig.set(conf, "models.defaults.device", "cpu");
    AppConfig.set(conf, "models.defaults.maxBatch", 4);
    AppConfig.set(conf, "models.defaults.contextLength", 512);
    // a second model whose weights are broken: it must fail alone, with the file and the reason
    java.nio.file.Path broken = Files.createTempDirectory("broken-model");
    java.nio.file.Path good = SharedModels.stories260k();
    for (String f : new String[] {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
      Files.copy(good.resolve(f), broken.resolve(f));
    }
    byte[] weights = Files.readAllBytes(good.resolve("model.safetensors"));
    Files.write(broken.resolve("model.safetensors"), java.util.Arrays.copyOf(weights, weights.length / 2));
    AppConfig.set(conf, "models.list", new JsonArray().add(new JsonObject().put("name", "broken").put("path", broken.toString())));
    brokenDir = broken.toString();
    server = TestServer.start(conf);
    server.inference().loaded().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    vertx = server.vertx();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  /** Sends a job and collects its stream until "done". */
  private static String textOf(List<JsonObject> msgs) {
    StringBuilder text = new StringBuilder();
    msgs.stream().filter(m -> "delta".equals(m.getString("type"))).forEach(m -> text.append(m.getString("text")));
    return text.toString();
  }

  private List<JsonObject> run(JsonObject job) throws Exception {
    String jobId = UUID.randomUUID().toString();
    String replyTo = Addresses.stream(jobId);
    List<JsonObject> got = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    MessageConsumer<JsonObject> c = vertx.eventBus().consumer(replyTo, m -> {
      got.add(m.body());
      if ("done".equals(m.body().getString("type"))) {
        done.complete(null);
      }
    });
    c.completion().await();
    try {
      JsonObject accepted = vertx.eventBus().<JsonObject>request(Addresses.jobsOn(job.getString("model"), server.inference().nodeId()),
          job.copy().put("jobId", jobId).put("replyTo", replyTo)).await().body();
      assertEquals(jobId, accepted.getString("jobId"));
      done.get(60, TimeUnit.SECONDS);
      return got;
    } finally {
      c.unregister();
    }
  }

  @Test
  void modelsListShowsTheImportedModelReady(Vertx client) throws InterruptedException {
    Api api = Api.connect(client, server.port());
    Api.User u = api.register("models");
    // the worker's heartbeat may still be on its way
    Await.until(() -> api.as(u).get("/api/models").expect(200).json().getJsonArray("models").size() >= 2,
        "both models (the broken one too) in GET /api/models");
    JsonObject list = api.as(u).get("/api/models").expect(200).json();
    JsonObject broken = list.getJsonArray("models").getJsonObject(0);
    assertEquals("broken", broken.getString("name"));
    assertEquals("error", broken.getString("status"));
    assertTrue(broken.getString("error").contains(brokenDir) && broken.getString("error").contains("model.safetensors"),
        broken.getString("error"));
    JsonObject m = list.getJsonArray("models").getJsonObject(1);
    assertEquals("stories260k", m.getString("name"));
    assertEquals("ready", m.getString("status"));
    assertEquals(512, m.getJsonObject("info").getInteger("contextLength"));
  }

  @Test
  void aJobStreamsNumberedDeltasEndingWithUsage() throws Exception {
    List<JsonObject> msgs = run(new JsonObject().put("model", "stories260k").put("prompt", InferenceTest.PROMPT)
        .put("options", new JsonObject().put("temperature", 0).put("max_tokens", 56)));
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < msgs.size(); i++) {
      assertEquals(i + 1, msgs.get(i).getLong("seq"), "sequence numbers have no gaps");
      if (i < msgs.size() - 1) {
        assertEquals("delta", msgs.get(i).getString("type"));
        text.append(msgs.get(i).getString("text"));
      }
    }
    JsonObject done = msgs.get(msgs.size() - 1);
    assertEquals("length", done.getString("finishReason"));
    assertEquals(InferenceTest.REFERENCE, InferenceTest.PROMPT + text);
    assertFalse(done.containsKey("text"), "the text travels once, as deltas");
    JsonObject usage = done.getJsonObject("usage");
    assertEquals(5, usage.getInteger("promptTokens"));
    assertEquals(56, usage.getInteger("completionTokens"));
    assertTrue(usage.getLong("ttftMs") >= 0);
  }

  @Test
  void chatMessagesUseTheTemplateAndItsStops() throws Exception {
    List<JsonObject> msgs = run(new JsonObject().put("model", "stories260k").put("messages", new JsonArray()
            .add(new JsonObject().put("role", "user").put("content", "Tell me a story.")))
        .put("options", new JsonObject().put("temperature", 0).put("max_tokens", 100)));
    JsonObject done = msgs.get(msgs.size() - 1);
    assertTrue(done.getJsonObject("usage").getInteger("promptTokens") > 5, "the template wraps the message");
    String free = textOf(msgs);
    // a stop string the model really writes ends the answer right before it
    String[] words = free.trim().split("\\s+");
    assertTrue(words.length > 8, free);
    String stop = " " + words[6];
    int cut = free.indexOf(stop);
    List<JsonObject> stopped = run(new JsonObject().put("model", "stories260k").put("messages", new JsonArray()
            .add(new JsonObject().put("role", "user").put("content", "Tell me a story.")))
        .put("options", new JsonObject().put("temperature", 0).put("max_tokens", 100).put("stop", new JsonArray().add(stop))));
    JsonObject end = stopped.get(stopped.size() - 1);
    assertEquals("stop", end.getString("finishReason"));
    assertEquals(free.substring(0, cut), textOf(stopped));
  }

  @Test
  void unknownModelAndBadOptionsFailClearly() {
    ReplyException none = assertInstanceOf(ReplyException.class, assertThrows(Exception.class, () -> vertx.eventBus()
        .request(Addresses.jobsOn("no-such-model", server.inference().nodeId()), new JsonObject().put("jobId", "x").put("replyTo", "y")).await()));
    assertEquals(ReplyFailure.NO_HANDLERS, none.failureType());
    ReplyException bad = assertInstanceOf(ReplyException.class, assertThrows(Exception.class, () -> vertx.eventBus()
        .request(Addresses.jobsOn("stories260k", server.inference().nodeId()), new JsonObject().put("jobId", "x").put("replyTo", "y").put("prompt", "hi")
            .put("options", new JsonObject().put("top_p", 2))).await()));
    assertEquals(JobFailure.INVALID.code, bad.failureCode());
    assertTrue(bad.getMessage().contains("top_p"), bad.getMessage());
    ReplyException tooLong = assertInstanceOf(ReplyException.class, assertThrows(Exception.class, () -> vertx.eventBus()
        .request(Addresses.jobsOn("stories260k", server.inference().nodeId()), new JsonObject().put("jobId", "x").put("replyTo", "y")
            .put("prompt", "once upon a time ".repeat(200))).await()));
    assertEquals(JobFailure.TOO_LONG.code, tooLong.failureCode());
  }

  @Test
  void aPublishedCancelStopsTheJob() throws Exception {
    String jobId = UUID.randomUUID().toString();
    String replyTo = Addresses.stream(jobId);
    CompletableFuture<JsonObject> done = new CompletableFuture<>();
    List<JsonObject> deltas = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> c = vertx.eventBus().consumer(replyTo, m -> {
      if ("done".equals(m.body().getString("type"))) {
        done.complete(m.body());
      } else {
        deltas.add(m.body());
        if (deltas.size() == 3) {
          vertx.eventBus().publish(Addresses.CANCEL, new JsonObject().put("jobId", jobId));
        }
      }
    });
    c.completion().await();
    vertx.eventBus().request(Addresses.jobsOn("stories260k", server.inference().nodeId()), new JsonObject().put("jobId", jobId).put("replyTo", replyTo)
        .put("prompt", "Once").put("options", new JsonObject().put("max_tokens", 400).put("seed", 1))).await();
    JsonObject end = done.get(60, TimeUnit.SECONDS);
    c.unregister();
    assertEquals("cancelled", end.getString("finishReason"));
    assertTrue(end.getJsonObject("usage").getInteger("completionTokens") < 400);
  }
}
