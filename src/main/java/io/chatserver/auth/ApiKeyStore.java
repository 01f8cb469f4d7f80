package io.chatserver.auth;

import io.chatserver.api.Caller;
import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;

/** Per-user API keys for programs (OpenAI clients): shown once at creation, stored as SHA-256, revocable. */
public final class ApiKeyStore {

  public static final String PREFIX = "sk-cs-";

  private final Pool pool;

  public ApiKeyStore(Pool pool) {
    this.pool = pool;
  }

  public static boolean looksLikeKey(String token) {
    return token.startsWith(PREFIX);
  }

  /** Creates a key; the returned JSON holds the key itself, which is never shown again. */
  public Future<JsonObject> create(UUID userId, String name, Integer expiresInDays) {
    String key = PREFIX + TokenService.newRefreshToken();
    UUID id = UUID.randomUUID();
    return pool.preparedQuery("INSERT INTO api_keys (id, user_id, name, prefix, key_hash, expires_at) VALUES ($1, $2, $3, $4, $5, "
            + "CASE WHEN $6::int IS NULL THEN NULL ELSE now() + make_interval(days => $6::int) END) RETURNING *")
        .execute(Tuple.of(id, userId, name, key.substring(0, 12), TokenService.sha256(key), expiresInDays))
        .map(rs -> json(rs.iterator().next()).put("key", key));
  }

  public Future<JsonArray> list(UUID userId) {
    return pool.preparedQuery("SELECT * FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at")
        .execute(Tuple.of(userId)).map(rs -> {
          JsonArray out = new JsonArray();
          rs.forEach(r -> out.add(json(r)));
          return out;
        });
  }

  public Future<Boolean> revoke(UUID userId, UUID keyId) {
    return pool.preparedQuery("UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
        .execute(Tuple.of(keyId, userId)).map(rs -> rs.rowCount() > 0);
  }

  /** The caller behind a key, or null when it is unknown or revoked. */
  public Future<Caller> authenticate(String key) {
    return pool.preparedQuery("UPDATE api_keys k SET last_used_at = now() FROM users u WHERE k.key_hash = $1 "
            + "AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND u.id = k.user_id "
            + "AND u.disabled_at IS NULL RETURNING u.id, u.username, u.role")
        .execute(Tuple.of(TokenService.sha256(key)))
        .map(rs -> Rows.first(rs, r -> new Caller(r.getUUID("id"), r.getString("username"), r.getString("role"), null)));
  }

  private static JsonObject json(Row r) {
    return new JsonObject().put("id", r.getUUID("id").toString()).put("name", r.getString("name"))
        .put("prefix", r.getString("prefix")).put("createdAt", Rows.time(r, "created_at"))
        .put("lastUsedAt", Rows.time(r, "last_used_at")).put("expiresAt", Rows.time(r, "expires_at"));
  }
}
