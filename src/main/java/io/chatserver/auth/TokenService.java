package io.chatserver.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;

/** Signs and checks access tokens (HS256 JWTs) and makes opaque refresh tokens. */
public final class TokenService {

  /** What a valid access token says. The session is still checked against the database. */
  public record Claims(UUID userId, UUID sessionId) {}

  private static final String ISSUER = "chat-server";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final JWTAuth jwt;
  private final int accessTtlSeconds;

  public TokenService(Vertx vertx, String secret, int accessTtlSeconds) {
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
        .setJWTOptions(new JWTOptions().setIssuer(ISSUER).setLeeway(5)));
    this.accessTtlSeconds = accessTtlSeconds;
  }

  public int accessTtlSeconds() {
    return accessTtlSeconds;
  }

  public String accessToken(UUID userId, UUID sessionId, String username, String role) {
    return accessToken(userId, sessionId, username, role, accessTtlSeconds);
  }

  /** An access token with an explicit lifetime (negative lifetimes make expired tokens, for tests). */
  public String accessToken(UUID userId, UUID sessionId, String username, String role, int ttlSeconds) {
    long now = System.currentTimeMillis() / 1000;
    JsonObject claims = new JsonObject()
        .put("sub", userId.toString())
        .put("sid", sessionId.toString())
        .put("username", username)
        .put("role", role)
        .put("iat", now)
        .put("exp", now + ttlSeconds);
    return jwt.generateToken(claims, new JWTOptions().setIssuer(ISSUER).setAlgorithm("HS256").setNoTimestamp(true));
  }

  /** Checks signature, issuer and expiry; fails for anything else. */
  public Future<Claims> verify(String token) {
    return jwt.authenticate(new TokenCredentials(token)).map(user -> {
      JsonObject p = user.principal();
      // the signature is checked; the payload must also say when it was issued and when it expires
      JsonObject payload = new JsonObject(new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]),
          StandardCharsets.UTF_8));
      if (!(payload.getValue("exp") instanceof Number) || !(payload.getValue("iat") instanceof Number)) {
        throw new IllegalArgumentException("a token must say when it was issued and when it expires");
      }
      return new Claims(UUID.fromString(p.getString("sub")), UUID.fromString(p.getString("sid")));
    });
  }

  public static String newRefreshToken() {
    return randomToken(32);
  }

  /** {@code bytes} random bytes from a SecureRandom, base64url without padding (tokens, states, nonces, codes). */
  public static String randomToken(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  public static String sha256(String value) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
