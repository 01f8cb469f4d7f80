package io.chatserver.search;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A local stand-in for SearxNG with one result page (the otters page of {@link WebSearchTest}), for the UI's tests. */
public final class StandInSearch {

  private StandInSearch() {}

  public static Future<HttpServer> start(Vertx vertx, int port) {
    String base = "http://127.0.0.1:" + port;
    return vertx.createHttpServer().requestHandler(req -> {
      switch (req.path()) {
        case "/search" -> req.response().putHeader("Content-Type", "application/json").end(new JsonObject()
            .put("results", new JsonArray().add(new JsonObject().put("title", "Sea otters").put("url", base + "/otters")
                .put("content", "Otters hold hands."))).encode());
        case "/otters" -> req.response().putHeader("Content-Type", "text/html; charset=utf-8").end(WebSearchTest.PAGE);
        default -> req.response().setStatusCode(404).end();
      }
    }).listen(port, "127.0.0.1");
  }
}
