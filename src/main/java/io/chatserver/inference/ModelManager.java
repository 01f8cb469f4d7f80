package io.chatserver.inference;

import io.chatserver.bus.Addresses;
import io.chatserver.inference.engine.ModelRuntime;
import io.chatserver.inference.tools.ModelPull;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A worker's models while it runs: on {@link Addresses#MODELS_MANAGE} it pulls a Hugging Face
 * model into its models directory (progress on {@link Addresses#modelPull}) and loads it, or
 * unloads a model and deletes its folder. Downloads and loading run on a thread of their own.
 */
public final class ModelManager {

  private static final Logger log = LoggerFactory.getLogger(ModelManager.class);

  private final Vertx vertx;
  private final InferenceService inference;
  private final Path dir;
  private final JsonObject defaults;
  private final String hub;
  private final String token;

  public ModelManager(Vertx vertx, InferenceService inference, Path dir, JsonObject defaults, String hub, String token) {
    this.vertx = vertx;
    this.inference = inference;
    this.dir = dir;
    this.defaults = defaults;
    this.hub = hub;
    this.token = token;
  }

  public void start() {
    vertx.eventBus().<JsonObject>consumer(Addresses.MODELS_MANAGE, m -> {
      JsonObject op = m.body();
      Thread t = new Thread(() -> {
        if ("pull".equals(op.getString("op"))) {
          pull(op);
        } else if ("clear-caches".equals(op.getString("op"))) {
          log.info("Clearing the caches of {} model(s)", inference.clearCaches());
        } else if ("delete".equals(op.getString("op"))) {
          delete(op.getString("name"));
        }
      }, "model-manager");
      t.setDaemon(true);
      t.start();
    });
  }

  private void pull(JsonObject op) {
    String pullId = op.getString("pullId");
    String name = op.getString("name");
    String address = Addresses.modelPull(pullId);
    JsonObject base = new JsonObject().put("pullId", pullId).put("nodeId", inference.nodeId()).put("name", name);
    long[] seq = new long[1]; // numbers this node's events of the pull (one thread publishes them), so listeners can merge a replay
    java.util.function.Consumer<JsonObject> publish = e -> vertx.eventBus().publish(address, e.put("seq", ++seq[0]));
    String ggufFile = op.getString("file");
    Path out = dir.resolve(ggufFile != null ? name + ".gguf" : name).normalize();
    try {
      if (!out.getParent().equals(dir)) {
        throw new IOException("model name " + name + " is not a plain folder name");
      }
      PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
      ModelPull puller = new ModelPull(hub, token, quiet).listener((file, index, count, done, total) -> publish.accept(
          base.copy().put("stage", "download").put("file", file).put("fileIndex", index).put("fileCount", count)
              .put("bytes", done).put("totalBytes", total)));
      if (ggufFile != null) {
        puller.pullFile(op.getString("repo"), op.getString("revision", "main"), ggufFile, out); // checked before it loads
      } else {
        puller.pull(op.getString("repo"), op.getString("revision", "main"), out);
      }
      publish.accept(base.copy().put("stage", "load"));
      String error = inference.add(ModelRuntime.Spec.fromJson(defaults.copy().put("name", name).put("path", out.toString()), dir));
      publish.accept(error == null ? base.copy().put("stage", "ready")
          : base.copy().put("stage", "error").put("error", "downloaded, but it does not load: " + error));
    } catch (Exception e) {
      log.warn("Pull of {} failed: {}", op.getString("repo"), e.toString());
      publish.accept(base.copy().put("stage", "error").put("error", e.getMessage() == null ? e.toString()
          : e.getMessage()));
    }
  }

  private void delete(String name) {
    inference.remove(name);
    Path file = dir.resolve(name + ".gguf").normalize();
    if (file.getParent().equals(dir) && Files.isRegularFile(file)) {
      try {
        Files.delete(file);
        log.info("Deleted model file {}", file);
      } catch (IOException e) {
        log.warn("Could not delete {}: {}", file, e.toString());
      }
    }
    Path folder = dir.resolve(name).normalize();
    if (!folder.getParent().equals(dir) || !Files.isDirectory(folder)) {
      return;
    }
    try (Stream<Path> all = Files.walk(folder)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
      log.info("Deleted model folder {}", folder);
    } catch (IOException e) {
      log.warn("Could not delete {}: {}", folder, e.toString());
    }
  }
}
