package io.chatserver;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** One real server (real HTTP, real PostgreSQL, optionally the real model) per test class, and a client for it. */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ServerTestBase {

  protected ChatServer server;
  protected Api api;

  @BeforeAll
  void startServer(Vertx vertx) {
    server = models() ? TestServer.startWithModels(configure(TestServer.config())) : TestServer.start(configure(TestServer.config()));
    api = Api.connect(vertx, server.port());
  }

  /** Changes to the test server's configuration (none by default). */
  protected io.vertx.core.json.JsonObject configure(io.vertx.core.json.JsonObject conf) {
    return conf;
  }

  /** Whether the server also serves the shared stories260k model (a real worker in the same JVM). */
  protected boolean models() {
    return false;
  }

  @AfterAll
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }
}
