package io.chatserver.auth;

import io.chatserver.api.ApiError;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;

/**
 * Slows down password guessing, for every API node at once (the counts live in PostgreSQL): after
 * {@link #ACCOUNT_LIMIT} failures for one account, or {@link #ADDRESS_LIMIT} from one client
 * address, within 15 minutes, further attempts get 429 with Retry-After for 30 s, doubling with
 * each further failure up to 15 minutes. The lock always ends, so nobody is locked out for good,
 * and a successful login clears the account's count.
 */
public final class LoginThrottle {

  public static final int ACCOUNT_LIMIT = 10;
  public static final int ADDRESS_LIMIT = 50;

  private final Pool pool;

  public LoginThrottle(Pool pool) {
    this.pool = pool;
  }

  public static String account(String username) {
    return "account:" + username.toLowerCase(Locale.ROOT);
  }

  public static String address(String host) {
    return "address:" + host;
  }

  /** Fails with 429 (and Retry-After) while any of the keys is locked. */
  public Future<Void> check(List<String> keys) {
    return pool.preparedQuery("SELECT max(locked_until) AS until FROM login_failures WHERE key = ANY($1) AND locked_until > now()")
        .execute(Tuple.of(keys.toArray(new String[0]))).compose(rs -> {
          OffsetDateTime until = rs.iterator().next().getOffsetDateTime("until");
          if (until == null) {
            return Future.succeededFuture();
          }
          long seconds = Math.max(1, Duration.between(OffsetDateTime.now(until.getOffset()), until).toSeconds() + 1);
          return Future.failedFuture(new ApiError(429, "too_many_attempts", "too many failed attempts; try again in "
              + seconds + " s").retryAfter(seconds));
        });
  }

  /** Counts a failure for the key; past {@code limit} in the window it locks the key for a growing while. */
  public Future<Void> failed(String key, int limit) {
    return pool.preparedQuery("INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, now()) "
            + "ON CONFLICT (key) DO UPDATE SET "
            + "failures = CASE WHEN login_failures.window_start < now() - interval '15 minutes' THEN 1 ELSE login_failures.failures + 1 END, "
            + "window_start = CASE WHEN login_failures.window_start < now() - interval '15 minutes' THEN now() "
            + "ELSE login_failures.window_start END RETURNING failures")
        .execute(Tuple.of(key)).compose(rs -> {
          int failures = rs.iterator().next().getInteger("failures");
          if (failures < limit) {
            return Future.succeededFuture();
          }
          double seconds = Math.min(900, 30 * Math.pow(2, Math.min(10, failures - limit)));
          return pool.preparedQuery("UPDATE login_failures SET locked_until = now() + make_interval(secs => $2) WHERE key = $1")
              .execute(Tuple.of(key, seconds)).mapEmpty();
        });
  }

  public Future<Void> succeeded(String key) {
    return pool.preparedQuery("DELETE FROM login_failures WHERE key = $1").execute(Tuple.of(key)).mapEmpty();
  }
}
