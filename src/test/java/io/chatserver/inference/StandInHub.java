package io.chatserver.inference;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.List;

/**
 * A local stand-in for the Hugging Face hub: repository {@code org/tiny} holds the real stories260K files,
 * {@code org/gguf} a real GGUF file of the fixtures and a truncated one.
 */
public final class StandInHub {

  private StandInHub() {}

  /** Serves {@code files} of the shared model (and lists {@code listed}, which may name more) on 127.0.0.1:{@code port} (0 = any). */
  public static HttpServer start(Vertx vertx, int port, List<String> listed) {
    Path model = SharedModels.stories260k();
    return vertx.createHttpServer().requestHandler(req -> {
      String p = req.path();
      if (p.equals("/api/models/org/tiny/revision/main")) {
        JsonArray siblings = new JsonArray();
        listed.forEach(f -> siblings.add(new JsonObject().put("rfilename", f)));
        req.response().end(new JsonObject().put("siblings", siblings).encode());
      } else if (p.startsWith("/org/tiny/resolve/main/")) {
        req.response().sendFile(model.resolve(p.substring("/org/tiny/resolve/main/".length())).toString());
      } else if (p.equals("/org/gguf/resolve/main/llama-gguf-Q4_K_M.gguf")) {
        req.response().sendFile(SharedModels.sharedDir().resolve("families/llama-gguf/llama-gguf-Q4_K_M.gguf").toString());
      } else if (p.equals("/org/gguf/resolve/main/broken.gguf")) {
        // the first 4000 bytes of a real file: the header's tensor table runs past the end
        io.vertx.core.buffer.Buffer head = io.vertx.core.buffer.Buffer.buffer(java.util.Arrays.copyOf(readAll(
            SharedModels.sharedDir().resolve("families/llama-gguf/llama-gguf-Q4_K_M.gguf")), 4000));
        req.response().end(head);
      } else {
        req.response().setStatusCode(404).end();
      }
    }).listen(port, "127.0.0.1").await();
  }

  private static byte[] readAll(Path p) {
    try {
      return java.nio.file.Files.readAllBytes(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static final List<String> MODEL_FILES = List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json");
}
