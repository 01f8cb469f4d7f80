package io.chatserver.oidc;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Caller;
import io.chatserver.api.Responses;
import io.chatserver.auth.PasswordHasher;
import io.chatserver.auth.TokenService;
import io.chatserver.user.UserStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.oauth2.OAuth2Auth;
import io.vertx.ext.auth.oauth2.OAuth2AuthorizationURL;
import io.vertx.ext.auth.oauth2.OAuth2FlowType;
import io.vertx.ext.auth.oauth2.OAuth2Options;
import io.vertx.ext.auth.oauth2.Oauth2Credentials;
import io.vertx.ext.auth.oauth2.providers.OpenIDConnectAuth;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Sign-in with the organisation's OpenID provider: the authorization code flow with PKCE (S256),
 * {@code state} and {@code nonce}, through vertx-auth-oauth2 (discovery from the issuer, keys from
 * its JWKS, the ID token's signature, issuer, audience and expiry checked there; the nonce here).
 * Accounts are found by (issuer, subject), never by e-mail; the first sign-in creates one (unless
 * new accounts are off), and a logged-in person can link an identity to their account. Roles
 * follow the provider's groups at every sign-in. The end is this server's own session: the callback
 * redirects to {@code /?login=<one-time code>}, traded at {@code POST /api/auth/oidc/exchange}
 * for the same JSON as a password login. Every failure ends on {@code /?loginError=<reason>}.
 */
public final class OidcRoutes {

  private static final Logger log = LoggerFactory.getLogger(OidcRoutes.class);

  /** Why a sign-in ended without a session: the {@code loginError} the page explains. */
  enum Failure {
    PROVIDER_UNAVAILABLE, DENIED, EXPIRED, FAILED, INVALID_TOKEN, NOT_ALLOWED, NO_ACCOUNT, IDENTITY_IN_USE, DISABLED;

    String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A refused sign-in, with its reason. */
  static final class Refused extends RuntimeException {
    final Failure why;

    Refused(Failure why, String detail) {
      super(detail, null, false, false);
      this.why = why;
    }
  }

  private final Vertx vertx;
  private final Map<String, OidcProvider> providers = new LinkedHashMap<>();
  private final OidcStore store;
  private final UserStore users;
  private final PasswordHasher hasher;
  /** Starts this server's session for an account: {token, refreshToken, ...} as a password login answers. */
  private final Function<UUID, Future<JsonObject>> startSession;
  /** Where this server is reached ({@code http.publicUrl}); null: from each request's own host. */
  private final String publicUrl;
  /** Whether a first sign-in creates an account. */
  private final boolean newAccounts;
  private final boolean passwordLogin;
  /** Each provider's client, from its discovery document (tried again after a failure). */
  private final Map<String, Future<OAuth2Auth>> clients = new ConcurrentHashMap<>();
  /** Each provider's end-session endpoint, from its discovery document (absent: it has none). */
  private final Map<String, String> endSession = new ConcurrentHashMap<>();

  public OidcRoutes(Vertx vertx, List<OidcProvider> providers, io.vertx.sqlclient.Pool pool, UserStore users, PasswordHasher hasher,
                    Function<UUID, Future<JsonObject>> startSession, String publicUrl, boolean newAccounts, boolean passwordLogin) {
    this.vertx = vertx;
    providers.forEach(p -> this.providers.put(p.id(), p));
    this.store = new OidcStore(pool);
    this.users = users;
    this.hasher = hasher;
    this.startSession = startSession;
    this.publicUrl = publicUrl == null || publicUrl.isBlank() ? null : publicUrl.replaceAll("/+$", "");
    this.newAccounts = newAccounts;
    this.passwordLogin = passwordLogin;
    if (!providers.isEmpty()) {
      vertx.setPeriodic(600_000, t -> store.sweep().onFailure(e -> log.warn("Could not sweep old sign-ins: {}", e.toString())));
    }
  }

  /** The routes anyone may call. */
  public void mount(Router router) {
    router.get("/api/auth/providers").handler(this::providers);
    router.get("/api/auth/oidc/:id/login").handler(this::begin);
    router.get("/api/auth/oidc/:id/callback").handler(this::callback);
    router.post("/api/auth/oidc/exchange").handler(Responses.handle(200, this::exchange));
  }

  /** The routes of a logged-in person. */
  public void mountAuthenticated(Router router) {
    // the logged-in account is remembered with the sign-in itself: its callback links the identity to it
    router.post("/api/auth/oidc/:id/link").handler(Responses.handle(200, ctx -> authorizeUrl(ctx, provider(ctx), Caller.of(ctx).userId())
        .recover(e -> Future.failedFuture(new ApiError(503, "provider_unavailable", "the sign-in provider cannot be reached now")))
        .map(url -> new JsonObject().put("url", url))));
  }

  private void providers(RoutingContext ctx) {
    JsonArray list = new JsonArray();
    for (OidcProvider p : providers.values()) {
      JsonObject e = new JsonObject().put("id", p.id()).put("name", p.name()).put("loginUrl", "/api/auth/oidc/" + p.id() + "/login");
      String end = endSession.get(p.id());
      if (end != null) {
        e.put("logoutUrl", end + (end.contains("?") ? "&" : "?") + "client_id=" + enc(p.clientId())
            + "&post_logout_redirect_uri=" + enc(base(ctx) + "/"));
      }
      list.add(e);
    }
    Responses.json(ctx, 200, new JsonObject().put("providers", list).put("passwordLogin", passwordLogin));
  }

  private OidcProvider provider(RoutingContext ctx) {
    OidcProvider p = providers.get(ctx.pathParam("id"));
    if (p == null) {
      throw ApiError.notFound("sign-in provider");
    }
    return p;
  }

  private Future<OAuth2Auth> client(OidcProvider p) {
    return clients.compute(p.id(), (id, f) -> f != null && !f.failed() ? f : OpenIDConnectAuth.discover(vertx,
            new OAuth2Options().setClientId(p.clientId()).setClientSecret(p.clientSecret()).setSite(p.issuer())
                .setValidateIssuer(true))
        .onSuccess(c -> discoverEndSession(p))
        .onFailure(e -> log.warn("OIDC provider {} ({}): discovery failed: {}", p.id(), p.issuer(), e.toString())));
  }

  /** Reads the provider's end-session endpoint (for logout), once its discovery worked. */
  private void discoverEndSession(OidcProvider p) {
    io.vertx.core.http.HttpClient http = vertx.createHttpClient();
    String url = p.issuer().replaceAll("/+$", "") + "/.well-known/openid-configuration";
    http.request(new io.vertx.core.http.RequestOptions().setAbsoluteURI(url).setMethod(io.vertx.core.http.HttpMethod.GET))
        .compose(r -> r.send().compose(io.vertx.core.http.HttpClientResponse::body))
        .onSuccess(b -> {
          String end = new JsonObject(b).getString("end_session_endpoint");
          if (end != null) {
            endSession.put(p.id(), end);
          }
        })
        .onComplete(x -> http.close());
  }

  /** Redirects to the provider's sign-in page with a fresh state, nonce and PKCE challenge. */
  private void begin(RoutingContext ctx) {
    OidcProvider p = provider(ctx); // an unknown one: 404 through the router's failure handler
    authorizeUrl(ctx, p, null)
        .onSuccess(url -> ctx.response().setStatusCode(302).putHeader("Location", url).putHeader("Cache-Control", "no-store").end())
        .onFailure(e -> fail(ctx, Failure.PROVIDER_UNAVAILABLE, e.toString()));
  }

  /** The provider's authorization URL for a new sign-in (kept in the store), linking to {@code linkUser} when not null. */
  private Future<String> authorizeUrl(RoutingContext ctx, OidcProvider p, UUID linkUser) {
    String state = TokenService.randomToken(24);
    String nonce = TokenService.randomToken(24);
    String verifier = TokenService.randomToken(48);
    return client(p).compose(c -> store.begin(state, p.id(), nonce, verifier, linkUser).map(v -> c.authorizeURL(
        new OAuth2AuthorizationURL().setRedirectUri(redirectUri(ctx, p)).setScopes(p.scopes()).setState(state)
            .setCodeChallenge(challenge(verifier)).setCodeChallengeMethod("S256").putAdditionalParameter("nonce", nonce))));
  }

  private void callback(RoutingContext ctx) {
    OidcProvider p = provider(ctx); // an unknown one: 404 through the router's failure handler
    String state = ctx.queryParams().get("state");
    String code = ctx.queryParams().get("code");
    String error = ctx.queryParams().get("error");
    Future<OidcStore.Pending> pending = state == null || state.length() > 200 ? Future.succeededFuture(null) : store.take(state);
    pending.compose(pend -> {
      if (error != null) {
        throw new Refused("access_denied".equals(error) ? Failure.DENIED : Failure.FAILED, "the provider said " + error);
      }
      if (pend == null || !pend.provider().equals(p.id()) || code == null || code.length() > 4000) {
        throw new Refused(Failure.EXPIRED, "no such sign-in on its way (unknown, used or expired state)");
      }
      return client(p).recover(e -> Future.failedFuture(new Refused(Failure.PROVIDER_UNAVAILABLE, e.toString())))
          .compose(c -> c.authenticate(new Oauth2Credentials().setFlow(OAuth2FlowType.AUTH_CODE).setCode(code)
                  .setRedirectUri(redirectUri(ctx, p)).setCodeVerifier(pend.verifier()))
              .recover(e -> Future.failedFuture(e instanceof Refused ? e : new Refused(badToken(e) ? Failure.INVALID_TOKEN
                  : Failure.FAILED, e.toString()))))
          .compose(user -> signIn(p, pend, claims(p, user, pend)));
    }).onSuccess(userId -> {
      String login = TokenService.randomToken(32);
      store.issueCode(TokenService.sha256(login), userId, p.id())
          .onSuccess(v -> ctx.response().setStatusCode(302).putHeader("Location", "/?login=" + login)
              .putHeader("Cache-Control", "no-store").end())
          .onFailure(e -> fail(ctx, Failure.FAILED, e.toString()));
    }).onFailure(e -> fail(ctx, e instanceof Refused r ? r.why : Failure.FAILED, e.toString()));
  }

  /** Whether vertx-auth-oauth2 refused the tokens themselves (expired, bad signature, issuer or audience), not the exchange. */
  private static boolean badToken(Throwable e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    return m.contains("expired") || m.contains("signature") || m.contains("jwt") || m.contains("issuer") || m.contains("audience")
        || m.contains("token is not valid") || m.contains("invalid token");
  }

  /** The ID token's claims, once its nonce, issuer and audience are this sign-in's (its signature and expiry were checked). */
  private static JsonObject claims(OidcProvider p, User user, OidcStore.Pending pend) {
    JsonObject id = user.attributes() == null ? null : user.attributes().getJsonObject("idToken");
    if (id == null || id.getString("sub") == null) {
      throw new Refused(Failure.INVALID_TOKEN, "no valid ID token came back");
    }
    if (!pend.nonce().equals(id.getString("nonce"))) {
      throw new Refused(Failure.INVALID_TOKEN, "the ID token's nonce is not this sign-in's");
    }
    Object aud = id.getValue("aud");
    boolean ours = aud instanceof String s ? s.equals(p.clientId()) : aud instanceof JsonArray a && a.contains(p.clientId());
    if (!ours) {
      throw new Refused(Failure.INVALID_TOKEN, "the ID token is for another client");
    }
    if (!trim(p.issuer()).equals(trim(id.getString("iss", "")))) {
      throw new Refused(Failure.INVALID_TOKEN, "the ID token is from another issuer");
    }
    return id;
  }

  /** The account this identity signs in as: linked, found, or created; its role following the groups. */
  private Future<UUID> signIn(OidcProvider p, OidcStore.Pending pend, JsonObject claims) {
    String issuer = trim(claims.getString("iss"));
    String subject = claims.getString("sub");
    List<String> groups = p.groups(claims);
    if (!p.allowedGroups().isEmpty() && groups.stream().noneMatch(p.allowedGroups()::contains)) {
      return Future.failedFuture(new Refused(Failure.NOT_ALLOWED, "not in any allowed group"));
    }
    String email = claims.getString("email");
    Future<UUID> account;
    if (pend.linkUser() != null) {
      account = store.link(issuer, subject, pend.linkUser(), p.id(), email).compose(ok -> ok ? Future.succeededFuture(pend.linkUser())
          : Future.failedFuture(new Refused(Failure.IDENTITY_IN_USE, "this identity belongs to another account")));
    } else {
      account = store.account(issuer, subject).compose(found -> {
        if (found != null) {
          return Future.succeededFuture(found);
        }
        if (!newAccounts) {
          return Future.failedFuture(new Refused(Failure.NO_ACCOUNT, "new accounts are off"));
        }
        return create(claims).compose(id -> store.link(issuer, subject, id, p.id(), email).map(ok -> id));
      });
    }
    return account.compose(id -> users.profile(id).compose(profile -> {
      if (profile == null || profile.getBoolean("disabled", false)) {
        return Future.failedFuture(new Refused(Failure.DISABLED, "the account is disabled"));
      }
      if (p.adminGroups().isEmpty()) {
        return Future.succeededFuture(id);
      }
      String role = groups.stream().anyMatch(p.adminGroups()::contains) ? "admin" : "user";
      return role.equals(profile.getString("role")) ? Future.succeededFuture(id) : users.setRole(id, role).map(x -> id);
    }));
  }

  /** A new account for a first sign-in: a username from the claims (made unique), and a password nobody knows. */
  private Future<UUID> create(JsonObject claims) {
    String wanted = claims.getString("preferred_username");
    if (wanted == null && claims.getString("email") != null) {
      wanted = claims.getString("email").replaceFirst("@.*", "");
    }
    String cleaned = (wanted == null ? "user" : wanted).replaceAll("[^A-Za-z0-9_.-]", "_");
    String padded = cleaned.length() < 3 ? (cleaned + "___").substring(0, 3) : cleaned;
    String base = padded.substring(0, Math.min(padded.length(), 24));
    return hasher.hash(TokenService.randomToken(32)).compose(hash -> tryCreate(base, base, hash, 0));
  }

  private Future<UUID> tryCreate(String name, String base, String hash, int attempt) {
    return users.create(name, hash, false).map(u -> UUID.fromString(u.getString("id"))).recover(e -> {
      if (e instanceof UserStore.UsernameTaken && attempt < 5) {
        return tryCreate(base + "-" + TokenService.randomToken(4).toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "x"), base, hash, attempt + 1);
      }
      return Future.failedFuture(e);
    });
  }

  private Future<JsonObject> exchange(RoutingContext ctx) {
    String code = Body.of(ctx).only(Set.of("code")).requiredString("code", 1, 200);
    return store.redeem(TokenService.sha256(code)).compose(userId -> userId == null
        ? Future.failedFuture(ApiError.unauthorized("this login code is unknown, used or older than "
            + OidcStore.CODE_SECONDS + " s; sign in again"))
        : startSession.apply(userId));
  }

  /** Ends on the page with the reason, never with a session; the detail goes to the log. */
  private static void fail(RoutingContext ctx, Failure why, String detail) {
    log.info("OIDC sign-in refused ({}): {}", why.wire(), detail);
    if (!ctx.response().headWritten()) {
      ctx.response().setStatusCode(302).putHeader("Location", "/?loginError=" + why.wire()).putHeader("Cache-Control", "no-store")
          .end();
    }
  }

  private String redirectUri(RoutingContext ctx, OidcProvider p) {
    return base(ctx) + "/api/auth/oidc/" + p.id() + "/callback";
  }

  private String base(RoutingContext ctx) {
    if (publicUrl != null) {
      return publicUrl;
    }
    return ctx.request().scheme() + "://" + ctx.request().authority().toString();
  }

  private static String trim(String url) {
    return url.replaceAll("/+$", "");
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String challenge(String verifier) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
