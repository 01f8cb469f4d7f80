package io.chatserver.auth;

import io.chatserver.Api;
import io.chatserver.Api.User;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class AuthTest extends ServerTestBase {

  private User first;

  @BeforeAll
  void registerFirstUser() {
    first = api.register("first");
  }

  private io.vertx.core.json.JsonObject conf;

  @Override
  protected io.vertx.core.json.JsonObject configure(io.vertx.core.json.JsonObject c) {
    this.conf = c;
    return c;
  }

  /** Signs tokens with the server's own secret (generated into its data directory), as the server would. */
  private TokenService tokens() {
    return new TokenService(server.vertx(), SecretStore.jwtSecret(null, io.chatserver.TestServer.dataDir(conf)), 900);
  }

  @Test
  void firstUserIsAdminLaterUsersAreNot() {
    User second = api.register("second");
    assertEquals("admin", api.as(first).get("/api/users/me").expect(200).json().getString("role"));
    assertEquals("user", api.as(second).get("/api/users/me").expect(200).json().getString("role"));
    api.as(first).get("/api/admin/users").expect(200);
    api.as(second).get("/api/admin/users").expect(403);
    assertEquals("forbidden", api.as(second).get("/api/admin/users").errorCode());
  }

  @Test
  void duplicateUsernameIs409CaseInsensitive() {
    User u = api.register("dup");
    Api.Resp r = api.post("/api/auth/register",
        new JsonObject().put("username", u.username().toUpperCase()).put("password", "whatever123"));
    r.expect(409);
    assertEquals("conflict", r.errorCode());
  }

  @Test
  void registrationValidatesUsernameAndPassword() {
    assertEquals("username", api.post("/api/auth/register", new JsonObject().put("username", "ab").put("password", "longenough"))
        .expect(400).errorField());
    assertEquals("username", api.post("/api/auth/register", new JsonObject().put("username", "bad name!").put("password", "longenough"))
        .expect(400).errorField());
    assertEquals("password", api.post("/api/auth/register", new JsonObject().put("username", "okname1").put("password", "short"))
        .expect(400).errorField());
    assertEquals("password", api.post("/api/auth/register", new JsonObject().put("username", "okname2").put("password", "x".repeat(73)))
        .expect(400).errorField());
    assertEquals("password", api.post("/api/auth/register", new JsonObject().put("username", "okname3").put("password", 12345678))
        .expect(400).errorField());
  }

  @Test
  void loginRefreshLogout() {
    User u = api.register("cycle");
    api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", "wrong-password")).expect(401);
    api.post("/api/auth/login", new JsonObject().put("username", "nobody_" + UUID.randomUUID().toString().substring(0, 6))
        .put("password", "whatever1")).expect(401);
    JsonObject login = api.post("/api/auth/login", new JsonObject().put("username", u.username()).put("password", u.password()))
        .expect(200).json();
    assertEquals(900, login.getInteger("expiresIn"));
    String token = login.getString("token");
    String refresh = login.getString("refreshToken");
    api.withToken(token).get("/api/users/me").expect(200);

    JsonObject refreshed = api.post("/api/auth/refresh", new JsonObject().put("refreshToken", refresh)).expect(200).json();
    assertNotEquals(refresh, refreshed.getString("refreshToken"));
    String token2 = refreshed.getString("token");
    api.withToken(token2).get("/api/users/me").expect(200);

    api.withToken(token2).post("/api/auth/logout", new JsonObject()).expect(204);
    // the session is over: its access tokens and refresh token stop working at once
    api.withToken(token2).get("/api/users/me").expect(401);
    api.withToken(token).get("/api/users/me").expect(401);
    api.post("/api/auth/refresh", new JsonObject().put("refreshToken", refreshed.getString("refreshToken"))).expect(401);
    // rotation: the old refresh token is spent (reusing it while the session lives ends the session: HardeningTest)
    api.post("/api/auth/refresh", new JsonObject().put("refreshToken", refresh)).expect(401);
    // other sessions of the same user live on
    api.as(u).get("/api/users/me").expect(200);
  }

  @Test
  void logoutByRefreshToken() {
    User u = api.register("lrt");
    api.post("/api/auth/logout", new JsonObject().put("refreshToken", u.refreshToken())).expect(204);
    api.as(u).get("/api/users/me").expect(401);
    api.post("/api/auth/logout", new JsonObject().put("refreshToken", u.refreshToken())).expect(401);
  }

  @Test
  void missingMalformedForgedAndExpiredTokensAre401() {
    User u = api.register("tok");
    Api.Resp missing = api.get("/api/chats").expect(401);
    assertEquals("unauthorized", missing.errorCode());
    assertEquals("Bearer", missing.headers().get("www-authenticate"));
    api.withToken("not.a.jwt").get("/api/chats").expect(401);
    api.withToken("").get("/api/chats").expect(401);
    // a token signed with another secret
    String forged = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAifQ."
        + "c2lnbmF0dXJl";
    api.withToken(forged).get("/api/chats").expect(401);
    // a correctly signed token past its expiry
    JsonObject me = api.as(u).get("/api/users/me").json();
    String sid = Api.sessionOf(u.token());
    String expired = tokens().accessToken(u.id(), UUID.fromString(sid), u.username(), me.getString("role"), -60);
    api.withToken(expired).get("/api/chats").expect(401);
    String valid = tokens().accessToken(u.id(), UUID.fromString(sid), u.username(), me.getString("role"), 60);
    api.withToken(valid).get("/api/chats").expect(200);
  }

  @Test
  void roleInTokenIsNotTrusted() {
    User u = api.register("role");
    String sid = Api.sessionOf(u.token());
    // even a validly signed token claiming admin gets the role from the database
    String claimsAdmin = tokens().accessToken(u.id(), UUID.fromString(sid), u.username(), "admin", 60);
    assertEquals("user", api.withToken(claimsAdmin).get("/api/users/me").expect(200).json().getString("role"));
    api.withToken(claimsAdmin).get("/api/admin/users").expect(403);
  }

  @Test
  void adminCanPromoteUsers() {
    User admin = first;
    User other = api.register("worker");
    api.as(other).get("/api/admin/users").expect(403);
    // cannot demote oneself
    api.as(admin).patch("/api/admin/users/" + admin.id(), new JsonObject().put("role", "user")).expect(409);
    api.as(admin).patch("/api/admin/users/" + other.id(), new JsonObject().put("role", "admin")).expect(200);
    // a role change ends the user's sessions: they log in again, under the new role
    assertEquals(401, api.as(other).get("/api/admin/users").status());
    String fresh = api.post("/api/auth/login", new JsonObject().put("username", other.username()).put("password", other.password()))
        .expect(200).json().getString("token");
    api.withToken(fresh).get("/api/admin/users").expect(200);
    api.as(admin).patch("/api/admin/users/" + UUID.randomUUID(), new JsonObject().put("role", "admin")).expect(404);
    api.as(admin).patch("/api/admin/users/" + other.id(), new JsonObject().put("role", "root")).expect(400);
  }

}
