package io.chatserver.auth;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/** Login sessions: each holds the hash of one refresh token and can be revoked. */
public final class SessionStore {

  /** An active session with its user's current name and role. */
  public record Active(UUID sessionId, UUID userId, String username, String role) {}

  private final Pool pool;
  private final int refreshTtlDays;

  public SessionStore(Pool pool, int refreshTtlDays) {
    this.pool = pool;
    this.refreshTtlDays = refreshTtlDays;
  }

  /** Creates a session for the user; returns its id. */
  public Future<UUID> create(UUID userId, String refreshToken) {
    UUID id = UUID.randomUUID();
    return pool.preparedQuery("INSERT INTO sessions (id, user_id, refresh_hash, expires_at) VALUES ($1, $2, $3, $4)")
        .execute(Tuple.of(id, userId, TokenService.sha256(refreshToken), expiry()))
        .map(rs -> id);
  }

  /** The session and user behind an access token's claims, or null when revoked, expired or gone. */
  public Future<Active> active(UUID sessionId, UUID userId) {
    return pool.preparedQuery("SELECT u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id "
            + "WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL")
        .execute(Tuple.of(sessionId, userId))
        .map(rs -> {
          if (rs.size() == 0) {
            return null;
          }
          Row r = rs.iterator().next();
          return new Active(sessionId, userId, r.getString("username"), r.getString("role"));
        });
  }

  /**
   * Swaps a valid refresh token for a new one (rotation: the old one stops working).
   * Returns the session, or null when the token is unknown, revoked or expired.
   */
  public Future<Active> rotate(String refreshToken, String newRefreshToken) {
    String oldHash = TokenService.sha256(refreshToken);
    return pool.withTransaction(conn -> conn.preparedQuery("UPDATE sessions s SET refresh_hash = $2, expires_at = $3 FROM users u "
            + "WHERE s.refresh_hash = $1 AND u.id = s.user_id AND s.revoked_at IS NULL AND s.expires_at > now() "
            + "RETURNING s.id, s.user_id, u.username, u.role")
        .execute(Tuple.of(oldHash, TokenService.sha256(newRefreshToken), expiry()))
        .compose(rs -> {
          if (rs.size() == 0) {
            // a token rotated away before: it leaked, so its whole family (the session) ends
            return conn.preparedQuery("UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL AND id = "
                    + "(SELECT session_id FROM refresh_history WHERE hash = $1)").execute(Tuple.of(oldHash))
                .map(x -> (Active) null);
          }
          Row r = rs.iterator().next();
          Active active = new Active(r.getUUID("id"), r.getUUID("user_id"), r.getString("username"), r.getString("role"));
          return conn.preparedQuery("INSERT INTO refresh_history (hash, session_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
              .execute(Tuple.of(oldHash, active.sessionId())).map(x -> active);
        }));
  }

  public Future<Boolean> revoke(UUID sessionId) {
    return pool.preparedQuery("UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .execute(Tuple.of(sessionId)).map(rs -> rs.rowCount() > 0);
  }

  /** Ends every session of the user but {@code keep} (a password change). */
  public Future<Integer> revokeOthers(UUID userId, UUID keep) {
    return pool.preparedQuery("UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND id IS DISTINCT FROM $2 "
            + "AND revoked_at IS NULL").execute(Tuple.of(userId, keep)).map(rs -> rs.rowCount());
  }

  public Future<Boolean> revokeByRefreshToken(String refreshToken) {
    return pool.preparedQuery("UPDATE sessions SET revoked_at = now() WHERE refresh_hash = $1 AND revoked_at IS NULL")
        .execute(Tuple.of(TokenService.sha256(refreshToken))).map(rs -> rs.rowCount() > 0);
  }

  private OffsetDateTime expiry() {
    return OffsetDateTime.now(ZoneOffset.UTC).plusDays(refreshTtlDays);
  }
}
