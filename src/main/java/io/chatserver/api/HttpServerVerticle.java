package io.chatserver.api;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/** One HTTP server instance over a router of the node's role; deployed once per event loop. */
public final class HttpServerVerticle extends VerticleBase {

  private final java.util.function.Function<io.vertx.core.Vertx, io.vertx.ext.web.Router> router;
  private final String host;
  private final int port;
  private HttpServer server;

  public HttpServerVerticle(java.util.function.Function<io.vertx.core.Vertx, io.vertx.ext.web.Router> router, String host, int port) {
    this.router = router;
    this.host = host;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setCompressionSupported(true));
    return server.requestHandler(router.apply(vertx)).listen();
  }

  public int actualPort() {
    return server.actualPort();
  }
}
