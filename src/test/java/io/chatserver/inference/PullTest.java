package io.chatserver.inference;

import io.chatserver.inference.tools.ModelPull;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.extension.ExtendWith;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `pull` against a local stand-in for the Hugging Face hub (the real one is never contacted in tests). */
@ExtendWith(VertxExtension.class)
class PullTest {

  @Test
  void downloadsSafetensorsAndTokenizerWithProgress(Vertx vertx) throws Exception {
    Path model = SharedModels.stories260k();
    HttpServer hub = StandInHub.start(vertx, 0, List.of("config.json", "model.safetensors", "tokenizer.json",
        "tokenizer_config.json", "generation_config.json", "README.md", "pytorch_model.bin"));
    Path out = Files.createTempDirectory("pulled").resolve("tiny");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    new ModelPull("http://127.0.0.1:" + hub.actualPort(), null, new PrintStream(log)).pull("org/tiny", "main", out);
    assertArrayEquals(Files.readAllBytes(model.resolve("model.safetensors")), Files.readAllBytes(out.resolve("model.safetensors")));
    assertTrue(Files.exists(out.resolve("tokenizer.json")));
    assertFalse(Files.exists(out.resolve("pytorch_model.bin")), "only safetensors weights are fetched");
    assertTrue(log.toString().contains("100%"), log.toString());
    // a second pull keeps the files it already has
    new ModelPull("http://127.0.0.1:" + hub.actualPort(), null, new PrintStream(log)).pull("org/tiny", "main", out);
    assertTrue(log.toString().contains("already here"));
    hub.close();
  }
}
