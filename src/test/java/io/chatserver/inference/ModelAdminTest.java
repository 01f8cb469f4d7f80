package io.chatserver.inference;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.SseClient;
import io.chatserver.config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An admin pulls a model while the server runs, from a local stand-in for the Hugging Face hub
 * that serves the real stories260K weights: progress streams, the model loads without a restart
 * and answers exactly as the same weights do under their other name; then it is deleted.
 */
class ModelAdminTest extends ServerTestBase {

  private HttpServer hub;
  private JsonObject conf;
  private Api.User admin;

  @Override
  protected boolean models() {
    return true;
  }

  @Override
  protected JsonObject configure(JsonObject c) {
    this.conf = c;
    hubPort = freePort();
    AppConfig.set(c, "models.hubEndpoint", "http://127.0.0.1:" + hubPort);
    return c;
  }

  private int hubPort;

  private static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @BeforeAll
  void startHub(Vertx vertx) throws Exception {
    admin = api.register("modeladmin");
    hub = StandInHub.start(vertx, hubPort, StandInHub.MODEL_FILES);
  }

  @AfterAll
  void stopHub() {
    if (hub != null) {
      hub.close();
    }
  }

  private String status(String model) {
    for (Object o : api.as(admin).get("/api/models").expect(200).json().getJsonArray("models")) {
      if (model.equals(((JsonObject) o).getString("name"))) {
        return ((JsonObject) o).getString("status");
      }
    }
    return null;
  }


  private String greedy(Api.User u, String model) {
    return api.as(u).post("/api/chat", new JsonObject().put("model", model).put("stream", false)
            .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Tell me a story.")))
            .put("options", new JsonObject().put("temperature", 0).put("max_tokens", 16)))
        .expect(200).json().getJsonObject("message").getString("content");
  }

  @Test
  void pullLoadsWithoutARestartThenDeleteRemovesIt() throws Exception {
    Api.User user = api.register("plain");
    assertEquals(403, api.as(user).post("/api/admin/models/pull", new JsonObject().put("repo", "org/tiny")).status());
    assertEquals("repo", api.as(admin).post("/api/admin/models/pull", new JsonObject().put("repo", "no-slash")).errorField());
    JsonObject started = api.as(admin).post("/api/admin/models/pull", new JsonObject().put("repo", "org/tiny")
        .put("name", "tiny")).expect(202).json();
    List<SseClient.Event> events = SseClient.read(server.port(), started.getString("stream"), admin.token(), null,
        e -> e.name().equals("ready") || e.name().equals("error"));
    SseClient.Event last = events.get(events.size() - 1);
    assertEquals("ready", last.name(), last.data().encode());
    JsonObject download = events.stream().filter(e -> e.name().equals("progress")
        && "download".equals(e.data().getString("stage"))).reduce((a, b) -> b).orElseThrow().data();
    assertEquals(4, download.getInteger("fileCount"));
    assertTrue(download.getLong("bytes") > 0);
    io.chatserver.Await.until(() -> "ready".equals(status("tiny")), "the pulled model in /api/models");
    assertEquals(greedy(user, "stories260k"), greedy(user, "tiny"), "the same weights give the same answer");

    Path folder = Path.of((String) AppConfig.get(conf, "models.dir")).resolve("tiny");
    assertTrue(Files.isRegularFile(folder.resolve("model.safetensors")));
    assertEquals(202, api.as(admin).delete("/api/admin/models/tiny").status());
    io.chatserver.Await.until(() -> status("tiny") == null, "the deleted model to leave /api/models");
    io.chatserver.Await.until(() -> !Files.exists(folder), "its folder to be deleted");
    assertEquals(404, api.as(admin).delete("/api/admin/models/tiny").status());
    assertEquals("ready", status("stories260k"), "the other model is untouched");
  }

  @Test
  void aFailedPullSaysWhy() throws Exception {
    JsonObject started = api.as(admin).post("/api/admin/models/pull", new JsonObject().put("repo", "org/missing"))
        .expect(202).json();
    List<SseClient.Event> events = SseClient.read(server.port(), started.getString("stream"), admin.token(), null,
        e -> e.name().equals("ready") || e.name().equals("error"));
    SseClient.Event last = events.get(events.size() - 1);
    assertEquals("error", last.name());
    assertTrue(last.data().getString("error").contains("404"), last.data().encode());
    assertFalse("ready".equals(status("missing")));
  }

  @Test
  void aGgufFileIsPulledByItsUrlCheckedAndServedUnderItsName() throws Exception {
    JsonObject started = api.as(admin).post("/api/admin/models/pull", new JsonObject()
        .put("url", "https://huggingface.co/org/gguf/resolve/main/llama-gguf-Q4_K_M.gguf")).expect(202).json();
    assertEquals("llama-gguf-q4_k_m", started.getString("name"));
    List<SseClient.Event> events = SseClient.read(server.port(), started.getString("stream"), admin.token(), null,
        e -> e.name().equals("ready") || e.name().equals("error"));
    SseClient.Event last = events.get(events.size() - 1);
    assertEquals("ready", last.name(), last.data().encode());
    assertTrue(events.stream().anyMatch(e -> "download".equals(e.data().getString("stage")) && e.data().getLong("bytes") > 0));
    io.chatserver.Await.until(() -> "ready".equals(status("llama-gguf-q4_k_m")), "the pulled GGUF model in /api/models");
    // its own tokenizer, from the file: the reference ids of the Llama 2 vocabulary
    assertEquals(new JsonArray().add(1).add(15043).add(3186), api.as(admin).post("/tokenize", new JsonObject()
        .put("model", "llama-gguf-q4_k_m").put("prompt", "Hello world")).expect(200).json().getJsonArray("tokens"));
    Path file = Path.of((String) AppConfig.get(conf, "models.dir")).resolve("llama-gguf-q4_k_m.gguf");
    assertTrue(Files.isRegularFile(file));
    assertEquals(202, api.as(admin).delete("/api/admin/models/llama-gguf-q4_k_m").status());
    io.chatserver.Await.until(() -> !Files.exists(file), "its file to be deleted");
  }

  @Test
  void aBrokenGgufFileIsRefusedBeforeItLoadsAndRemoved() throws Exception {
    assertEquals("file", api.as(admin).post("/api/admin/models/pull", new JsonObject().put("repo", "org/gguf")
        .put("file", "../etc/passwd.gguf")).errorField());
    assertEquals("url", api.as(admin).post("/api/admin/models/pull", new JsonObject().put("url", "https://example.com/x"))
        .errorField());
    JsonObject started = api.as(admin).post("/api/admin/models/pull", new JsonObject().put("repo", "org/gguf")
        .put("file", "broken.gguf")).expect(202).json();
    List<SseClient.Event> events = SseClient.read(server.port(), started.getString("stream"), admin.token(), null,
        e -> e.name().equals("ready") || e.name().equals("error"));
    SseClient.Event last = events.get(events.size() - 1);
    assertEquals("error", last.name());
    assertTrue(last.data().getString("error").contains("not a usable GGUF file"), last.data().encode());
    assertFalse(Files.exists(Path.of((String) AppConfig.get(conf, "models.dir")).resolve("broken.gguf")));
    assertFalse("ready".equals(status("broken")));
  }
}
