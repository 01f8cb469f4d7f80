package io.chatserver.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.charset.StandardCharsets;

/** bcrypt password hashes, computed off the event loop. */
public final class PasswordHasher {

  /** bcrypt only reads the first 72 bytes; longer passwords are rejected at validation. */
  public static final int MAX_PASSWORD_BYTES = 72;

  private final Vertx vertx;
  private final int cost;
  /** Compared against when the user does not exist, so timing does not reveal which usernames exist. */
  private final String dummyHash;

  public PasswordHasher(Vertx vertx, int cost) {
    this.vertx = vertx;
    this.cost = cost;
    this.dummyHash = BCrypt.withDefaults().hashToString(cost, "not-a-password".toCharArray());
  }

  public Future<String> hash(String password) {
    return vertx.executeBlocking(() -> BCrypt.withDefaults().hashToString(cost, password.toCharArray()), false);
  }

  public Future<Boolean> verify(String password, String hash) {
    if (password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
      return Future.succeededFuture(false); // no password that long was ever accepted, so it cannot match
    }
    String h = hash == null ? dummyHash : hash;
    return vertx.executeBlocking(
        () -> BCrypt.verifyer().verify(password.getBytes(StandardCharsets.UTF_8), h.getBytes(StandardCharsets.UTF_8)).verified
            && hash != null,
        false);
  }
}
