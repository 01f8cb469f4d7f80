package io.chatserver.inference;

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

/** With no model at all the server still starts, users and chats work, and the models list says how to add one. */
@ExtendWith(VertxExtension.class)
class NoModelTest {

  @Test
  void serverWithoutModelsWorksAndExplainsHowToAddOne(Vertx vertx) throws Exception {
    JsonObject conf = TestServer.config();
    AppConfig.set(conf, "models.enabled", true);
    AppConfig.set(conf, "models.autoImport", false);
    AppConfig.set(conf, "models.dir", Files.createTempDirectory("no-models").toString());
    try (ChatServer server = TestServer.start(conf)) {
      Api api = Api.connect(vertx, server.port());
      Api me = api.as(api.register("nomodel"));
      me.addMessage(me.newChat("still works"), null, "user", "hello");
      JsonObject models = me.get("/api/models").expect(200).json();
      assertEquals(0, models.getJsonArray("models").size());
      assertTrue(models.getString("hint").contains("pull"), models.encode());
    }
  }
}
