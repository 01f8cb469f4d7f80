package io.chatserver.auth;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Caller;
import io.chatserver.api.Responses;
import io.chatserver.user.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** Register, log in, refresh and log out: the routes that work without an access token. */
public final class AuthRoutes {

  static final Pattern USERNAME = Pattern.compile("^[A-Za-z0-9_.-]{3,32}$");

  private final UserStore users;
  private final SessionStore sessions;
  private final TokenService tokens;
  private final PasswordHasher hasher;
  private final AuthHandler auth;
  private final LoginThrottle throttle;
  /** Whether accounts may register and log in with a password ({@code auth.passwordLogin}; off: sign-in providers only). */
  private final boolean passwordLogin;
  /** Who may register ({@code auth.registration}): open, approval (new accounts wait for an admin) or closed. */
  private final String registration;

  public AuthRoutes(UserStore users, SessionStore sessions, TokenService tokens, PasswordHasher hasher, AuthHandler auth,
                    LoginThrottle throttle, boolean passwordLogin, String registration) {
    this.throttle = throttle;
    this.passwordLogin = passwordLogin;
    this.registration = registration == null ? "open" : registration;
    if (!java.util.List.of("open", "approval", "closed").contains(this.registration)) {
      throw new IllegalArgumentException("auth.registration must be open, approval or closed (got " + registration + ")");
    }
    this.users = users;
    this.sessions = sessions;
    this.tokens = tokens;
    this.hasher = hasher;
    this.auth = auth;
  }

  public void mount(Router router) {
    router.post("/api/auth/register").handler(Responses.handle(201, this::register));
    router.post("/api/auth/login").handler(Responses.handle(200, this::login));
    router.post("/api/auth/refresh").handler(Responses.handle(200, this::refresh));
    router.post("/api/auth/logout").handler(Responses.handle(204, this::logout));
  }

  /** The routes that need a logged-in caller: mounted behind the authentication wall. */
  public void mountAuthenticated(Router router) {
    router.put("/api/users/me/password").handler(Responses.handle(204, this::changePassword));
    router.delete("/api/users/me").handler(Responses.handle(204, this::deleteAccount));
  }

  /** Deletes the caller's account and everything it owns; needs the password and a login session. */
  private Future<Void> deleteAccount(RoutingContext ctx) {
    Caller caller = requireSession(ctx);
    String pw = Body.of(ctx).only(Set.of("password")).requiredString("password", 1, 1000);
    return users.credentials(caller.username())
        .compose(cred -> hasher.verify(pw, cred == null ? null : cred.passwordHash()))
        .compose(ok -> ok ? Future.<Void>succeededFuture()
            : Future.failedFuture(ApiError.badRequest("password", "the password is wrong")))
        .compose(v -> caller.isAdmin() ? users.adminCount() : Future.succeededFuture(2L))
        .compose(admins -> admins <= 1 ? Future.failedFuture(ApiError.conflict("the only admin cannot delete their account; "
            + "make another admin first")) : users.delete(caller.userId()))
        .mapEmpty();
  }

  private Future<Void> changePassword(RoutingContext ctx) {
    Caller caller = requireSession(ctx);
    Body body = Body.of(ctx).only(Set.of("currentPassword", "newPassword"));
    String current = body.requiredString("currentPassword", 1, 1000);
    String next = password(body, "newPassword");
    return users.credentials(caller.username())
        .compose(cred -> hasher.verify(current, cred == null ? null : cred.passwordHash()))
        .compose(ok -> ok ? hasher.hash(next)
            : Future.failedFuture(ApiError.badRequest("currentPassword", "current password is wrong")))
        .compose(hash -> users.setPassword(caller.userId(), hash))
        .compose(v -> sessions.revokeOthers(caller.userId(), caller.sessionId())).mapEmpty();
  }

  /** The caller, when logged in with a session: an API key may not change credentials or make more keys (403). */
  public static Caller requireSession(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    if (caller.sessionId() == null) {
      throw ApiError.forbidden("this needs a login session, not an API key");
    }
    return caller;
  }


  /** Validates a username (3-32 of letters, digits, '_', '.', '-'). */
  public static String username(Body body) {
    String name = body.requiredString("username", 1, 64);
    if (!USERNAME.matcher(name).matches()) {
      throw ApiError.badRequest("username", "username must be 3-32 characters of letters, digits, '_', '.' or '-'");
    }
    return name;
  }

  /** Validates a password (8 characters to 72 bytes: bcrypt's limit). */
  public static String password(Body body, String field) {
    String pw = body.requiredString(field, 8, 1000);
    if (pw.getBytes(StandardCharsets.UTF_8).length > PasswordHasher.MAX_PASSWORD_BYTES) {
      throw ApiError.badRequest(field, field + " must be at most " + PasswordHasher.MAX_PASSWORD_BYTES + " bytes");
    }
    return pw;
  }

  private void requirePasswordLogin() {
    if (!passwordLogin) {
      throw ApiError.forbidden("password login is turned off on this server: sign in with its provider (GET /api/auth/providers)");
    }
  }

  /** This server's session for an account signed in some other way (an OpenID provider): the JSON a login answers. */
  public Future<JsonObject> startSession(UUID userId) {
    return users.profile(userId).compose(u -> u == null ? Future.failedFuture(ApiError.unauthorized("the account is gone"))
        : startSession(userId, u.getString("username"), u.getString("role")));
  }

  private Future<JsonObject> register(RoutingContext ctx) {
    requirePasswordLogin();
    Body body = Body.of(ctx).only(Set.of("username", "password"));
    String name = username(body);
    String pw = password(body, "password");
    String address = LoginThrottle.address(ctx.request().remoteAddress().host());
    // the very first account is always taken (it is the admin who then decides)
    Future<Long> existing = registration.equals("open") ? Future.succeededFuture(-1L) : users.count();
    return existing.compose(n -> {
      if (n > 0 && registration.equals("closed")) {
        return Future.failedFuture(new ApiError(403, "registration_closed", "this server takes no new accounts; ask its admin"));
      }
      boolean waits = n > 0 && registration.equals("approval");
      return throttle.check(List.of(address))
          .compose(v -> hasher.hash(pw))
          .compose(hash -> users.create(name, hash, false))
          .recover(e -> e instanceof UserStore.UsernameTaken // probing for names counts as a failure of the address
              ? throttle.failed(address, LoginThrottle.ADDRESS_LIMIT)
                  .compose(x -> Future.failedFuture(ApiError.conflict("username '" + name + "' is already taken")))
              : Future.failedFuture(e))
          .compose(user -> waits
              // registered, waiting for an admin to enable it (Admin, Users): no session yet
              ? users.setDisabled(UUID.fromString(user.getString("id")), true).map(u -> new JsonObject().put("pending", true)
                  .put("user", u).put("message", "your account waits for an admin's approval; log in once it is enabled"))
              : startSession(UUID.fromString(user.getString("id")), name, user.getString("role"))
                  .map(session -> session.put("user", user)));
    });
  }

  private Future<JsonObject> login(RoutingContext ctx) {
    requirePasswordLogin();
    Body body = Body.of(ctx).only(Set.of("username", "password"));
    String name = body.requiredString("username", 1, 64);
    String pw = body.requiredString("password", 1, 1000);
    String account = LoginThrottle.account(name);
    String address = LoginThrottle.address(ctx.request().remoteAddress().host());
    return throttle.check(List.of(account, address))
        .compose(v -> users.credentials(name))
        .compose(cred -> hasher.verify(pw, cred == null ? null : cred.passwordHash())
        .compose(ok -> ok
            ? throttle.succeeded(account).compose(x -> startSession(cred.id(), cred.username(), cred.role()))
            : Future.all(throttle.failed(account, LoginThrottle.ACCOUNT_LIMIT), throttle.failed(address, LoginThrottle.ADDRESS_LIMIT))
                .compose(x -> cred != null ? Future.succeededFuture(false)
                    // the right password of a disabled (or not yet approved) account: say so, not "invalid"
                    : users.disabledPasswordHash(name).compose(hash -> hash == null ? Future.succeededFuture(false) : hasher.verify(pw, hash)))
                .compose(disabled -> Future.failedFuture(disabled
                    ? new ApiError(403, "account_disabled", "this account is disabled, or waits for an admin's approval")
                    : ApiError.unauthorized("invalid username or password")))));
  }

  private Future<JsonObject> refresh(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("refreshToken"));
    String old = body.requiredString("refreshToken", 1, 200);
    String fresh = TokenService.newRefreshToken();
    String address = LoginThrottle.address(ctx.request().remoteAddress().host());
    return throttle.check(List.of(address)).compose(v -> sessions.rotate(old, fresh)).compose(active -> active == null
        ? throttle.failed(address, LoginThrottle.ADDRESS_LIMIT)
            .compose(x -> Future.failedFuture(ApiError.unauthorized("refresh token is invalid, expired or revoked")))
        : Future.succeededFuture(tokenResponse(active.userId(), active.sessionId(), active.username(), active.role(), fresh)));
  }

  /** Ends the session of the Bearer token, or of {@code refreshToken} in the body. */
  private Future<Void> logout(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("refreshToken"));
    String refresh = body.optionalString("refreshToken", 1, 200);
    if (refresh != null) {
      return sessions.revokeByRefreshToken(refresh).compose(ok -> ok ? Future.<Void>succeededFuture()
          : Future.failedFuture(ApiError.unauthorized("refresh token is invalid or already revoked")));
    }
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw ApiError.unauthorized("send the Bearer access token or {refreshToken} to log out");
    }
    return auth.authenticate(header.substring(7).trim()).compose(caller -> caller.sessionId() == null
        ? Future.failedFuture(ApiError.badRequest("Authorization", "API keys are revoked with DELETE /api/users/me/keys/{id}"))
        : sessions.revoke(caller.sessionId())).mapEmpty();
  }

  private Future<JsonObject> startSession(UUID userId, String username, String role) {
    String refresh = TokenService.newRefreshToken();
    return sessions.create(userId, refresh).map(sid -> tokenResponse(userId, sid, username, role, refresh));
  }

  private JsonObject tokenResponse(UUID userId, UUID sessionId, String username, String role, String refresh) {
    return new JsonObject()
        .put("token", tokens.accessToken(userId, sessionId, username, role))
        .put("tokenType", "Bearer")
        .put("expiresIn", tokens.accessTtlSeconds())
        .put("refreshToken", refresh)
        .put("userId", userId.toString())
        .put("role", role);
  }
}
