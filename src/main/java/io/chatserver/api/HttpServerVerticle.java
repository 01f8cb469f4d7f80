package io.chatserver.api;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/** One HTTP server instance over the shared router features; deployed once per event loop. */
public final class HttpServerVerticle extends VerticleBase {

  private final ApiRouter.Features features;
  private final String host;
  private final int port;
  private HttpServer server;

  public HttpServerVerticle(ApiRouter.Features features, String host, int port) {
    this.features = features;
    this.host = host;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setCompressionSupported(true));
    return server.requestHandler(ApiRouter.create(vertx, features)).listen();
  }

  public int actualPort() {
    return server.actualPort();
  }
}
