package io.chatserver.api;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Function;

/** Small helpers that turn a handler's Future into a JSON response, and failures into the error handler. */
public final class Responses {

  private Responses() {}

  public static void json(RoutingContext ctx, int status, Object body) {
    String text = body instanceof JsonObject o ? o.encode() : body instanceof JsonArray a ? a.encode() : String.valueOf(body);
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(text);
  }

  /**
   * A route handler from a function returning a Future of the JSON body: success writes it with
   * {@code status} (204 writes nothing); any failure, thrown or async, goes to the error handler.
   */
  public static Handler<RoutingContext> handle(int status, Function<RoutingContext, Future<?>> fn) {
    return ctx -> {
      Future<?> result;
      try {
        result = fn.apply(ctx);
      } catch (RuntimeException e) {
        ctx.fail(e);
        return;
      }
      result.onComplete(ar -> {
        if (ar.failed()) {
          ctx.fail(ar.cause());
        } else if (status == 204) {
          ctx.response().setStatusCode(204).end();
        } else {
          json(ctx, status, ar.result());
        }
      });
    };
  }
}
