package io.chatserver;

import io.chatserver.config.AppConfig;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Starts a real server for a test class: loopback only, random port, its own database and data dir. */
public final class TestServer {

  private TestServer() {}

  public static JsonObject config() {
    Offline.enforce();
    JsonObject conf = AppConfig.defaults();
    try {
      conf.put("dataDir", Files.createTempDirectory("chat-test-data").toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    AppConfig.set(conf, "http.host", "127.0.0.1");
    AppConfig.set(conf, "http.port", 0);
    AppConfig.set(conf, "db.url", TestDatabase.freshUrl());
    AppConfig.set(conf, "db.poolSize", 4);
    AppConfig.set(conf, "auth.bcryptCost", 4);
    // The spine's tests run without models; the inference tests turn them on.
    AppConfig.set(conf, "models.enabled", false);
    AppConfig.set(conf, "cluster.drainTimeoutSeconds", 5);
    return conf;
  }

  /** A config that serves the shared stories260k model (imported into a temp dir) on the CPU. */
  public static JsonObject withModels(JsonObject conf) {
    try {
      AppConfig.set(conf, "models.enabled", true);
      AppConfig.set(conf, "models.dir", Files.createTempDirectory("models").toString());
      AppConfig.set(conf, "models.shared", io.chatserver.inference.SharedModels.sharedDir().toString());
      AppConfig.set(conf, "models.defaults.device", "cpu");
      AppConfig.set(conf, "models.defaults.maxBatch", 4);
      AppConfig.set(conf, "models.defaults.contextLength", 512);
      return conf;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a server and waits until its models are loaded. */
  public static ChatServer startWithModels(JsonObject conf) {
    ChatServer server = start(withModels(conf));
    try {
      server.inference().loaded().toCompletionStage().toCompletableFuture().get(120, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      server.close();
      throw new IllegalStateException("models did not load", e);
    }
    return server;
  }

  public static ChatServer start() {
    return start(config());
  }

  public static ChatServer start(JsonObject conf) {
    try {
      return ChatServer.start(conf);
    } catch (Exception e) {
      throw new IllegalStateException("test server did not start: " + e.getMessage(), e);
    }
  }

  public static Path dataDir(JsonObject conf) {
    return Path.of(conf.getString("dataDir"));
  }
}
