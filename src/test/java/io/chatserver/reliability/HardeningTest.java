package io.chatserver.reliability;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.TestServer;
import io.chatserver.auth.SecretStore;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Defects found by attacking the server (issue "Hardening"): each is a clear 4xx now, never a 500 or a silent acceptance. */
class HardeningTest extends ServerTestBase {

  private JsonObject conf;
  private Api.User admin;

  @org.junit.jupiter.api.BeforeAll
  void firstAccountIsTheAdmin() {
    admin = api.register("hadmin");
  }

  @Override
  protected boolean models() {
    return true; // the model names a preference may use are the ones served
  }

  @Override
  protected JsonObject configure(JsonObject c) {
    this.conf = c;
    return c;
  }


  @Test
  void passwordsOver72BytesAreA400AndA401NeverA500() {
    String longPw = "p".repeat(73);
    Api.Resp reg = api.post("/api/auth/register", new JsonObject().put("username", "longpw").put("password", longPw));
    assertEquals(400, reg.status(), reg.body());
    assertEquals("password", reg.errorField());
    Api.User u = api.register("pwlimit");
    Api.Resp login = api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", longPw));
    assertEquals(401, login.status(), login.body());
    Api.Resp unknown = api.post("/api/auth/login", new JsonObject().put("username", "nobody-at-all").put("password", longPw));
    assertEquals(401, unknown.status(), unknown.body());
    Api.Resp change = api.as(u).put("/api/users/me/password", new JsonObject().put("currentPassword", longPw)
        .put("newPassword", "short-enough"));
    assertEquals(400, change.status(), change.body());
  }

  @Test
  void aTokenWithoutExpiryIsRefused(Vertx vertx) {
    Api.User u = api.register("noexp");
    JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256")
        .setBuffer(SecretStore.jwtSecret(null, TestServer.dataDir(conf)))));
    String forever = jwt.generateToken(new JsonObject().put("sub", u.id().toString()).put("sid", Api.sessionOf(u.token()))
        .put("username", u.username()).put("role", "user"), new JWTOptions().setIssuer("chat-server").setNoTimestamp(true));
    assertEquals(401, api.withToken(forever).get("/api/users/me").status(), "a token must expire");
  }

  @Test
  void datesOutOfRangeAndBadTextAndHugeSeedsAre400() {
    Api.User u = api.register("badinput");
    for (String from : new String[] {"-999999999-01-01", "-4714-11-23", "99999-01-01"}) {
      Api.Resp r = api.as(u).get("/api/users/me/usage?from=" + from);
      assertEquals(400, r.status(), from + ": " + r.body());
      assertEquals("from", r.errorField());
    }
    Api.Resp surrogate = api.as(u).send(io.vertx.core.http.HttpMethod.POST, "/api/chats",
        "{\"title\": \"broken \\ud800 text\"}", "application/json");
    assertEquals(400, surrogate.status(), surrogate.body());
    assertEquals("title", surrogate.errorField());
    Api.Resp seed = api.as(u).send(io.vertx.core.http.HttpMethod.PUT, "/api/users/me",
        "{\"settings\": {\"seed\": 18446744073709551616}}", "application/json");
    assertEquals(400, seed.status(), seed.body());
    assertEquals("settings.seed", seed.errorField());
  }

  @Test
  void changingThePasswordEndsTheOtherSessions() {
    Api.User u = api.register("sessions");
    JsonObject other = api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", u.password()))
        .expect(200).json();
    api.withToken(other.getString("token")).get("/api/users/me").expect(200);
    api.as(u).put("/api/users/me/password", new JsonObject().put("currentPassword", u.password())
        .put("newPassword", "a-new-password")).expect(204);
    assertEquals(401, api.withToken(other.getString("token")).get("/api/users/me").status(), "the other session ended");
    assertEquals(401, api.post("/api/auth/refresh", new JsonObject().put("refreshToken", other.getString("refreshToken"))).status());
    api.as(u).get("/api/users/me").expect(200); // the caller's own session goes on
  }

  @Test
  void reusingARotatedRefreshTokenEndsItsWholeFamily() {
    Api.User u = api.register("family");
    JsonObject login = api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", u.password()))
        .expect(200).json();
    String first = login.getString("refreshToken");
    JsonObject rotated = api.post("/api/auth/refresh", new JsonObject().put("refreshToken", first)).expect(200).json();
    api.withToken(rotated.getString("token")).get("/api/users/me").expect(200);
    // the old token comes back (stolen): refused, and the newer tokens of that family stop working
    assertEquals(401, api.post("/api/auth/refresh", new JsonObject().put("refreshToken", first)).status());
    assertEquals(401, api.post("/api/auth/refresh", new JsonObject().put("refreshToken", rotated.getString("refreshToken"))).status());
    assertEquals(401, api.withToken(rotated.getString("token")).get("/api/users/me").status());
    api.as(u).get("/api/users/me").expect(200); // another session of the user is not that family
  }

  @Test
  void passwordGuessingIsSlowedDownForTheAccountNotForOthers() {
    Api.User victim = api.register("victim");
    for (int i = 0; i < io.chatserver.auth.LoginThrottle.ACCOUNT_LIMIT; i++) {
      assertEquals(401, api.post("/api/auth/login", new JsonObject().put("username", victim.username())
          .put("password", "guess-" + i)).status());
    }
    Api.Resp locked = api.post("/api/auth/login", new JsonObject().put("username", victim.username())
        .put("password", victim.password()));
    assertEquals(429, locked.status(), locked.body());
    assertEquals("too_many_attempts", locked.errorCode());
    long retry = Long.parseLong(locked.headers().get("retry-after"));
    assertTrue(retry >= 1 && retry <= 31, "a short first lock: " + retry);
    // another account from the same address still logs in, and the victim's sessions go on
    Api.User other = api.register("bystander");
    api.post("/api/auth/login", new JsonObject().put("username", other.username()).put("password", other.password())).expect(200);
    api.as(victim).get("/api/users/me").expect(200);
  }

  @Test
  void anAccountIsDeletedWithItsPasswordAndTakesItsDataWithIt() {
    Api.User u = api.register("leaver");
    String chat = api.as(u).newChat("mine");
    String key = api.as(u).post("/api/users/me/keys", new JsonObject().put("name", "k")).expect(201).json().getString("key");
    io.vertx.core.http.HttpMethod delete = io.vertx.core.http.HttpMethod.DELETE;
    assertEquals(403, api.withToken(key).send(delete, "/api/users/me", new JsonObject().put("password", u.password()),
        "application/json").status(), "an API key cannot delete the account");
    assertEquals(400, api.as(u).send(delete, "/api/users/me", new JsonObject().put("password", "not-it"), "application/json")
        .status());
    assertEquals(204, api.as(u).send(delete, "/api/users/me", new JsonObject().put("password", u.password()), "application/json")
        .status());
    assertEquals(401, api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", u.password()))
        .status());
    assertEquals(401, api.withToken(key).get("/api/chats").status());
    assertEquals(409, api.as(admin).send(delete, "/api/users/me", new JsonObject().put("password", admin.password()),
        "application/json").status(), "the only admin stays");
    assertTrue(api.as(admin).get("/api/admin/users?limit=500").json().getJsonArray("items").stream()
        .noneMatch(x -> u.username().equals(((JsonObject) x).getString("username"))));
    assertEquals(chat.length(), 36);
  }

  @Test
  void anAdminCanDisableAndEnableAnAccount() {
    Api.User u = api.register("suspended");
    String key = api.as(u).post("/api/users/me/keys", new JsonObject().put("name", "k")).expect(201).json().getString("key");
    JsonObject off = api.as(admin).patch("/api/admin/users/" + u.id(), new JsonObject().put("disabled", true)).expect(200).json();
    assertTrue(off.getBoolean("disabled"));
    assertEquals(401, api.as(u).get("/api/users/me").status());
    assertEquals(401, api.withToken(key).get("/api/chats").status());
    // the right password of a disabled account says so (403), a wrong one stays a plain 401
    Api.Resp disabledLogin = api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", u.password()));
    assertEquals(403, disabledLogin.status(), disabledLogin.body());
    assertEquals("account_disabled", disabledLogin.json().getJsonObject("error").getString("code"));
    assertEquals(401, api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", "not the password 1"))
        .status());
    assertEquals(409, api.as(admin).patch("/api/admin/users/" + admin.id(), new JsonObject().put("disabled", true)).status());
    api.as(admin).patch("/api/admin/users/" + u.id(), new JsonObject().put("disabled", false)).expect(200);
    api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", u.password())).expect(200);
    api.withToken(key).get("/api/chats").expect(200);
  }

  @Test
  void anApiKeyCannotMintKeysOrChangeThePassword() {
    Api.User u = api.register("keyholder");
    String key = api.as(u).post("/api/users/me/keys", new JsonObject().put("name", "k")).expect(201).json().getString("key");
    Api.Resp mint = api.withToken(key).post("/api/users/me/keys", new JsonObject().put("name", "more"));
    assertEquals(403, mint.status(), mint.body());
    Api.Resp pw = api.withToken(key).put("/api/users/me/password", new JsonObject().put("currentPassword", u.password())
        .put("newPassword", "stolen-password"));
    assertEquals(403, pw.status(), pw.body());
    api.withToken(key).get("/api/chats").expect(200); // keys still call the chat APIs
  }

  @Test
  void aKeyCanExpireAndSaysWhenItWasLastUsed() throws Exception {
    Api.User u = api.register("expiring");
    JsonObject created = api.as(u).post("/api/users/me/keys", new JsonObject().put("name", "short").put("expiresInDays", 1))
        .expect(201).json();
    assertTrue(created.getString("expiresAt") != null);
    String key = created.getString("key");
    api.withToken(key).get("/api/chats").expect(200);
    JsonObject listed = api.as(u).get("/api/users/me/keys").expect(200).json().getJsonArray("items").getJsonObject(0);
    assertTrue(listed.getString("lastUsedAt") != null, "last use is recorded");
    // a day later (the clock moved in the database): the key works nowhere
    var opts = io.chatserver.storage.Database.parseUrl(conf.getJsonObject("db").getString("url"));
    try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://" + opts.getHost() + ":" + opts.getPort() + "/"
        + opts.getDatabase(), opts.getUser(), opts.getPassword()); var st = c.createStatement()) {
      st.execute("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = '" + created.getString("id") + "'");
    }
    assertEquals(401, api.withToken(key).get("/api/chats").status());
    assertEquals("expiresInDays", api.as(u).post("/api/users/me/keys", new JsonObject().put("expiresInDays", 0)).errorField());
  }

  @Test
  void hugeUrlsAndHeadersGetJsonErrors(Vertx vertx) {
    WebClient http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port()));
    var longUrl = http.get("/api/chats?q=" + "a".repeat(9000)).send().await();
    assertEquals(414, longUrl.statusCode());
    assertEquals("uri_too_long", longUrl.bodyAsJsonObject().getJsonObject("error").getString("code"));
    var bigHeader = http.get("/api/chats").putHeader("X-Big", "b".repeat(40_000)).send().await();
    assertEquals(431, bigHeader.statusCode());
    assertEquals("headers_too_large", bigHeader.bodyAsJsonObject().getJsonObject("error").getString("code"));
  }

  @Test
  void aPreferredModelMustBeServed() {
    Api.User u = api.register("prefers");
    Api.Resp r = api.as(u).put("/api/users/me", new JsonObject().put("preferredModel", "nope-model"));
    assertEquals(400, r.status(), r.body());
    assertEquals("preferredModel", r.errorField());
    assertTrue(r.json().getJsonObject("error").getString("message").contains("nope-model"));
  }
}
