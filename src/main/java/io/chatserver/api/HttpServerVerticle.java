package io.chatserver.api;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/** One HTTP server instance over a router of the node's role; deployed once per event loop. */
public final class HttpServerVerticle extends VerticleBase {

  private final java.util.function.Function<io.vertx.core.Vertx, io.vertx.ext.web.Router> router;
  private HttpServer server;

  /** {@code host} and {@code port} come from the deployment's config (DeploymentOptions). */
  public HttpServerVerticle(java.util.function.Function<io.vertx.core.Vertx, io.vertx.ext.web.Router> router) {
    this.router = router;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(new HttpServerOptions().setHost(config().getString("host", "127.0.0.1"))
        .setPort(config().getInteger("port", 8080)).setCompressionSupported(true)
        // generous limits, so that the router can answer too long a URL or too many headers with a JSON error
        .setMaxInitialLineLength(64 * 1024).setMaxHeaderSize(128 * 1024));
    return server.requestHandler(router.apply(vertx)).listen();
  }

  public int actualPort() {
    return server.actualPort();
  }
}
