package io.chatserver.api;

import io.chatserver.bus.InvalidField;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's failure handler: every failure, thrown or by status code, leaves as a JSON error
 * with the right status. Internals (stack traces, SQL) are logged, never sent.
 */
public final class ErrorHandler implements Handler<RoutingContext> {

  private static final Logger log = LoggerFactory.getLogger(ErrorHandler.class);

  @Override
  public void handle(RoutingContext ctx) {
    ApiError error = toApiError(ctx.failure(), ctx.statusCode());
    if ("database_unavailable".equals(error.code())) {
      log.warn("{} {}: the database cannot be reached ({})", ctx.request().method(), ctx.request().path(), ctx.failure());
    } else if (error.status() >= 500) {
      log.error("{} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
    }
    send(ctx, error);
  }

  public static void send(RoutingContext ctx, ApiError error) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    if (error.status() == 401) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
    }
    if (error.retryAfter() > 0) {
      ctx.response().putHeader("Retry-After", String.valueOf(error.retryAfter()));
    }
    ctx.response()
        .setStatusCode(error.status())
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(error.toJson().encode());
  }

  public static ApiError toApiError(Throwable failure, int statusCode) {
    if (failure instanceof ApiError api) {
      return api;
    }
    if (failure instanceof InvalidField invalid) {
      return ApiError.badRequest(invalid.field(), invalid.getMessage());
    }
    if (failure instanceof io.chatserver.errors.Refusal r) {
      int status = switch (r.kind()) {
        case INVALID -> 400;
        case NOT_FOUND -> 404;
        case CONFLICT -> 409;
        case UNPROCESSABLE -> 422;
        case LIMITED -> 429;
        case TOO_LARGE -> 413;
        case UNSUPPORTED_TYPE -> 415;
      };
      ApiError e = new ApiError(status, r.code(), r.getMessage(), r.field());
      return r.retryAfter() > 0 ? e.retryAfter(r.retryAfter()) : e;
    }
    if (databaseDown(failure)) {
      return new ApiError(503, "database_unavailable", "the database cannot be reached right now; try again shortly")
          .retryAfter(5);
    }
    if (failure instanceof DecodeException) {
      return new ApiError(400, "invalid_json", "request body is not valid JSON");
    }
    if (failure == null || statusCode > 0) {
      return forStatus(statusCode > 0 ? statusCode : 500);
    }
    return forStatus(500);
  }

  /** Whether a failure means the database cannot be reached (refused or lost connection, server shutting down). */
  public static boolean databaseDown(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof io.vertx.sqlclient.ClosedConnectionException
          || t instanceof io.netty.channel.ConnectTimeoutException) {
        return true;
      }
      if (t instanceof io.vertx.pgclient.PgException pg && pg.getSqlState() != null
          && (pg.getSqlState().startsWith("08") || pg.getSqlState().startsWith("57P"))) {
        return true;
      }
      String m = t.getMessage();
      if (m != null && (m.contains("Connection refused") || m.contains("Connection reset"))) {
        return true;
      }
    }
    return false;
  }

  public static ApiError forStatus(int status) {
    return switch (status) {
      case 400 -> new ApiError(400, "bad_request", "bad request");
      case 401 -> ApiError.unauthorized("authentication required");
      case 403 -> ApiError.forbidden("not allowed");
      case 404 -> new ApiError(404, "not_found", "no such resource");
      case 405 -> new ApiError(405, "method_not_allowed", "method not allowed on this resource");
      case 413 -> new ApiError(413, "payload_too_large", "request body is larger than the server accepts");
      case 415 -> new ApiError(415, "unsupported_media_type", "request body must be application/json");
      default -> status >= 400 && status < 500
          ? new ApiError(status, "client_error", "request failed")
          : new ApiError(500, "internal_error", "internal server error");
    };
  }
}
