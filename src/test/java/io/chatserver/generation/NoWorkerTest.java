package io.chatserver.generation;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With no worker for the model, a generation fails with 504 after the configured wait and creates nothing. */
@ExtendWith(VertxExtension.class)
class NoWorkerTest {

  @Test
  void noWorkerIs504AndLeavesNoMessage(Vertx vertx) {
    JsonObject conf = TestServer.config();
    AppConfig.set(conf, "generation.workerTimeoutMs", 600);
    try (ChatServer server = TestServer.start(conf)) {
      Api api = Api.connect(vertx, server.port());
      Api me = api.as(api.register("lonely"));
      String chat = me.newChat("nobody home");
      long t0 = System.currentTimeMillis();
      Api.Resp r = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "hello?").put("generate", true)
          .put("model", "stories260k"));
      assertEquals(504, r.status(), r.body());
      assertEquals("no_worker", r.errorCode());
      assertTrue(System.currentTimeMillis() - t0 >= 500, "it waited for a worker");
      assertEquals(0, me.get("/api/chats/" + chat).json().getJsonArray("messages").size());
      Api.Resp noModel = me.post("/api/generate", new JsonObject().put("prompt", "x"));
      assertEquals(503, noModel.status(), noModel.body());
      assertEquals("no_model", noModel.errorCode());
      // nothing is left counted against the user
      assertEquals(504, me.post("/api/generate", new JsonObject().put("prompt", "x").put("model", "m")).status());
    }
  }
}
