package io.chatserver.auth;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.config.AppConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sign-in through a real OpenID provider on 127.0.0.1 (NAV's mock-oauth2-server: discovery, JWKS,
 * signed ID tokens, PKCE; its tokens shaped per test): accounts by (issuer, subject), roles from
 * groups at every sign-in, linking from a logged-in account, and the attacks and failures a person
 * can meet ending on {@code /?loginError=...} with no session.
 */
class OidcTest extends ServerTestBase {

  private static MockOAuth2Server provider;
  /** A provider that shows the real one's keys but forges its tokens (signed with a key of its own). */
  private static com.sun.net.httpserver.HttpServer forger;
  private static volatile String forgedNonce = "";
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @Override
  protected JsonObject configure(JsonObject conf) {
    try {
      provider = new MockOAuth2Server();
      provider.start(InetAddress.getByName("127.0.0.1"), 0);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    String issuer = provider.issuerUrl("corp").toString();
    JsonArray providers = new JsonArray()
        .add(new JsonObject().put("id", "corp").put("name", "Corp").put("issuer", issuer).put("clientId", "chat")
            .put("clientSecret", "s3cret").put("adminGroups", new JsonArray().add("chat-admins")))
        .add(new JsonObject().put("id", "staff").put("name", "Staff only").put("issuer", issuer).put("clientId", "chat")
            .put("clientSecret", "s3cret").put("allowedGroups", "staff"))
        .add(new JsonObject().put("id", "down").put("issuer", "http://127.0.0.1:9/nobody").put("clientId", "chat"));
    providers.add(new JsonObject().put("id", "forged").put("issuer", startForger(issuer)).put("clientId", "chat")
        .put("clientSecret", "s3cret"));
    AppConfig.set(conf, "auth.oidc.providers", providers);
    return conf;
  }

  @AfterAll
  static void stopProvider() {
    if (provider != null) {
      provider.shutdown();
    }
    if (forger != null) {
      forger.stop(0);
    }
  }

  /** Starts the forger: the real provider's sign-in page and keys, its own token endpoint; returns its issuer URL. */
  private static String startForger(String real) {
    try {
      forger = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
      String self = "http://127.0.0.1:" + forger.getAddress().getPort() + "/forged";
      forger.createContext("/forged/.well-known/openid-configuration", x -> reply(x, new JsonObject().put("issuer", self)
          .put("authorization_endpoint", real + "/authorize").put("token_endpoint", self + "/token")
          .put("jwks_uri", real + "/jwks").put("response_types_supported", new JsonArray().add("code"))
          .put("subject_types_supported", new JsonArray().add("public"))
          .put("id_token_signing_alg_values_supported", new JsonArray().add("RS256"))));
      forger.createContext("/forged/token", x -> {
        try {
          String token = forged(self, forgedNonce);
          reply(x, new JsonObject().put("token_type", "Bearer").put("expires_in", 3600).put("access_token", token)
              .put("id_token", token));
        } catch (Exception e) {
          x.sendResponseHeaders(500, -1);
        }
      });
      forger.start();
      return self;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void reply(com.sun.net.httpserver.HttpExchange x, JsonObject body) throws java.io.IOException {
    byte[] bytes = body.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", "application/json");
    x.sendResponseHeaders(200, bytes.length);
    x.getResponseBody().write(bytes);
    x.close();
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private String base() {
    return "http://127.0.0.1:" + server.port();
  }

  private static String location(HttpResponse<String> r) {
    assertEquals(302, r.statusCode(), r.body());
    return r.headers().firstValue("Location").orElseThrow();
  }

  /** The next token the provider issues: this subject, audience and claims. */
  private static void nextToken(String subject, List<String> audience, Map<String, Object> claims) {
    provider.enqueueCallback(new DefaultOAuth2TokenCallback("corp", subject, "JWT", audience, claims, 3600));
  }

  /** Goes from our login URL through the provider back to our callback; returns where the callback sends the page. */
  private String signIn(String loginPath) throws Exception {
    String toProvider = location(get(base() + loginPath));
    assertTrue(toProvider.startsWith(provider.authorizationEndpointUrl("corp").toString()), toProvider);
    assertTrue(toProvider.contains("code_challenge_method=S256") && toProvider.contains("nonce=") && toProvider.contains("state="),
        toProvider);
    String back = location(get(toProvider));
    return location(get(back.startsWith("http") ? back : base() + back));
  }

  /** The login code of a page location {@code /?login=...}. */
  private static String code(String page) {
    assertTrue(page.startsWith("/?login="), page);
    return page.substring("/?login=".length());
  }

  /** An ID token that says all the right things but is signed with a key of its own. */
  private static String forged(String issuer, String nonce) throws Exception {
    com.nimbusds.jose.jwk.RSAKey key = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("not-the-providers").generate();
    long now = System.currentTimeMillis() / 1000;
    com.nimbusds.jwt.JWTClaimsSet claims = new com.nimbusds.jwt.JWTClaimsSet.Builder().issuer(issuer)
        .subject("mallory").audience("chat").claim("nonce", nonce).claim("preferred_username", "mallory")
        .issueTime(new java.util.Date(now * 1000)).expirationTime(new java.util.Date((now + 600) * 1000)).build();
    com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT(
        new com.nimbusds.jose.JWSHeader.Builder(com.nimbusds.jose.JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
    jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(key));
    return jwt.serialize();
  }

  private JsonObject exchange(String code) {
    return api.post("/api/auth/oidc/exchange", new JsonObject().put("code", code)).expect(200).json();
  }

  private JsonObject me(JsonObject tokens) {
    return api.withToken(tokens.getString("token")).get("/api/users/me").expect(200).json();
  }

  @Test
  void theLoginPageListsTheProviders() {
    JsonObject list = api.get("/api/auth/providers").expect(200).json();
    assertEquals(true, list.getBoolean("passwordLogin"));
    JsonObject corp = list.getJsonArray("providers").getJsonObject(0);
    assertEquals("Corp", corp.getString("name"));
    assertEquals("/api/auth/oidc/corp/login", corp.getString("loginUrl"));
    assertTrue(!list.encode().contains("s3cret"), "no secrets: " + list.encode());
  }

  @Test
  void aFirstSignInMakesAnAccountWhoseRoleFollowsItsGroupsAtEverySignIn() throws Exception {
    nextToken("alice-sub", List.of("chat"), Map.of("preferred_username", "alice", "email", "alice@corp.example",
        "groups", List.of("chat-admins")));
    JsonObject first = exchange(code(signIn("/api/auth/oidc/corp/login")));
    JsonObject alice = me(first);
    assertEquals("alice", alice.getString("username"));
    assertEquals("admin", alice.getString("role"));
    // the same person later, no longer in the admin group: the same account, now a user
    nextToken("alice-sub", List.of("chat"), Map.of("preferred_username", "alice", "groups", List.of("everyone")));
    JsonObject again = exchange(code(signIn("/api/auth/oidc/corp/login")));
    assertEquals(first.getString("userId"), again.getString("userId"));
    assertEquals("user", me(again).getString("role"));
    // the login code works once
    nextToken("alice-sub", List.of("chat"), Map.of("preferred_username", "alice"));
    String once = code(signIn("/api/auth/oidc/corp/login"));
    exchange(once);
    assertEquals(401, api.post("/api/auth/oidc/exchange", new JsonObject().put("code", once)).status());
  }

  @Test
  void accountsGoBySubjectNeverByEmail() throws Exception {
    nextToken("carol-1", List.of("chat"), Map.of("preferred_username", "carol", "email", "carol@corp.example"));
    JsonObject one = exchange(code(signIn("/api/auth/oidc/corp/login")));
    // someone else with the same e-mail (another subject) gets an account of their own
    nextToken("carol-2", List.of("chat"), Map.of("preferred_username", "carol", "email", "carol@corp.example"));
    JsonObject two = exchange(code(signIn("/api/auth/oidc/corp/login")));
    assertNotEquals(one.getString("userId"), two.getString("userId"));
    assertNotEquals(me(one).getString("username"), me(two).getString("username"), "the second carol gets a name of her own");
  }

  @Test
  void aLoggedInPasswordAccountLinksAnIdentity() throws Exception {
    Api.User dave = api.register("dave");
    String url = api.as(dave).post("/api/auth/oidc/corp/link", new JsonObject()).expect(200).json().getString("url");
    assertTrue(url.startsWith(provider.authorizationEndpointUrl("corp").toString()), url);
    nextToken("dave-at-corp", List.of("chat"), Map.of("preferred_username", "dave.corp"));
    String back = location(get(url));
    JsonObject session = exchange(code(location(get(back))));
    assertEquals(dave.id().toString(), session.getString("userId"), "signed in as the account that linked it");
    // from now on that identity signs in as dave
    nextToken("dave-at-corp", List.of("chat"), Map.of("preferred_username", "dave.corp"));
    assertEquals(dave.id().toString(), exchange(code(signIn("/api/auth/oidc/corp/login"))).getString("userId"));
  }

  @Test
  void whatGoesWrongEndsOnTheLoginPageWithAReasonAndNoSession() throws Exception {
    // the provider cannot be reached
    assertEquals("/?loginError=provider_unavailable", location(get(base() + "/api/auth/oidc/down/login")));
    // a state nobody issued, and a callback replayed
    assertEquals("/?loginError=expired", location(get(base() + "/api/auth/oidc/corp/callback?code=x&state=forged")));
    nextToken("erin", List.of("chat"), Map.of("preferred_username", "erin"));
    String back = location(get(location(get(base() + "/api/auth/oidc/corp/login"))));
    code(location(get(back)));
    assertEquals("/?loginError=expired", location(get(back)), "the same callback twice");
    // the person said no at the provider
    String toProvider = location(get(base() + "/api/auth/oidc/corp/login"));
    String state = URI.create(toProvider).getQuery().replaceAll(".*(?:^|&)state=([^&]+).*", "$1");
    assertEquals("/?loginError=denied",
        location(get(base() + "/api/auth/oidc/corp/callback?error=access_denied&state=" + state)));
    // an ID token for another client
    nextToken("mallory", List.of("another-client"), Map.of("preferred_username", "mallory", "aud", "another-client"));
    assertEquals("/?loginError=invalid_token", signIn("/api/auth/oidc/corp/login"));
    // an ID token made for another sign-in (its nonce), and one that has expired
    nextToken("mallory", List.of("chat"), Map.of("preferred_username", "mallory", "nonce", "from-another-sign-in"));
    assertEquals("/?loginError=invalid_token", signIn("/api/auth/oidc/corp/login"));
    provider.enqueueCallback(new DefaultOAuth2TokenCallback("corp", "mallory", "JWT", List.of("chat"),
        Map.of("preferred_username", "mallory"), -600));
    assertEquals("/?loginError=invalid_token", signIn("/api/auth/oidc/corp/login"));
    // not in the groups a provider allows
    nextToken("frank", List.of("chat"), Map.of("preferred_username", "frank", "groups", List.of("contractors")));
    assertEquals("/?loginError=not_allowed", signIn("/api/auth/oidc/staff/login"));
    nextToken("grace", List.of("chat"), Map.of("preferred_username", "grace", "groups", List.of("staff")));
    assertTrue(signIn("/api/auth/oidc/staff/login").startsWith("/?login="));
    // an ID token signed with a key that is not the provider's (a provider whose token endpoint forges them)
    String authorize = location(get(base() + "/api/auth/oidc/forged/login"));
    forgedNonce = URI.create(authorize).getQuery().replaceAll(".*(?:^|&)nonce=([^&]+).*", "$1");
    assertEquals("/?loginError=invalid_token", location(get(location(get(authorize)))));
    // an unknown provider is a plain 404
    assertEquals(404, get(base() + "/api/auth/oidc/nobody/login").statusCode());
  }
}
