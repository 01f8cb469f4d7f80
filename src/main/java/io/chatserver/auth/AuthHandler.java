package io.chatserver.auth;

import io.chatserver.api.Caller;
import io.chatserver.api.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Requires a valid Bearer access token whose session is still active (or an API key), and attaches
 * the {@link Caller}. Missing, malformed, expired or revoked tokens get 401.
 */
public final class AuthHandler implements Handler<RoutingContext> {

  private final TokenService tokens;
  private final SessionStore sessions;
  private final ApiKeyStore keys;

  public AuthHandler(TokenService tokens, SessionStore sessions, ApiKeyStore keys) {
    this.tokens = tokens;
    this.sessions = sessions;
    this.keys = keys;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || header.isBlank()) {
      ctx.fail(ApiError.unauthorized("missing Authorization: Bearer token"));
      return;
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
      ctx.fail(ApiError.unauthorized("Authorization header must be 'Bearer <token>'"));
      return;
    }
    authenticate(header.substring(7).trim()).onComplete(ar -> {
      if (ar.succeeded()) {
        ar.result().attach(ctx);
        ctx.next();
      } else {
        // a failure that is not about the credentials (the database is down) is not a 401: the error handler says what it is
        ctx.fail(ar.cause());
      }
    });
  }

  /** Verifies an access token and its session, or an API key; also used by transports other than HTTP headers. */
  public Future<Caller> authenticate(String token) {
    if (ApiKeyStore.looksLikeKey(token)) {
      return keys.authenticate(token).compose(c -> c == null
          ? Future.failedFuture(ApiError.unauthorized("invalid or revoked API key")) : Future.succeededFuture(c));
    }
    return tokens.verify(token)
        .recover(e -> Future.failedFuture(ApiError.unauthorized("invalid or expired token")))
        .compose(claims -> sessions.active(claims.sessionId(), claims.userId()))
        .compose(active -> active == null
            ? Future.failedFuture(ApiError.unauthorized("session has ended; log in again"))
            : Future.succeededFuture(new Caller(active.userId(), active.username(), active.role(), active.sessionId())));
  }
}
