package io.chatserver.share;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.UUID;

/** Share links: one live link per chat (a new one revokes the old), each a snapshot of the branch it was made from. */
public final class ShareStore {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Pool pool;

  public ShareStore(Pool pool) {
    this.pool = pool;
  }

  /** 256 random bits, URL-safe. */
  static String newToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  public Future<JsonObject> create(UUID userId, UUID chatId, String title, JsonArray messages) {
    String token = newToken();
    return pool.withTransaction(c -> c.preparedQuery("UPDATE chat_shares SET revoked_at = clock_timestamp() "
            + "WHERE chat_id = $1 AND user_id = $2 AND revoked_at IS NULL").execute(Tuple.of(chatId, userId))
        .compose(x -> c.preparedQuery("INSERT INTO chat_shares (token, chat_id, user_id, title, messages) VALUES ($1, $2, $3, $4, $5) "
            + "RETURNING token, chat_id, created_at").execute(Tuple.of(token, chatId, userId, title, messages))))
        .map(rs -> link(rs.iterator().next()));
  }

  /** The chat's live link, or null. */
  public Future<JsonObject> current(UUID userId, UUID chatId) {
    return pool.preparedQuery("SELECT token, chat_id, created_at FROM chat_shares WHERE chat_id = $1 AND user_id = $2 "
            + "AND revoked_at IS NULL").execute(Tuple.of(chatId, userId))
        .map(rs -> rs.iterator().hasNext() ? link(rs.iterator().next()) : null);
  }

  /** Revokes the chat's live link; false when there was none. */
  public Future<Boolean> revoke(UUID userId, UUID chatId) {
    return pool.preparedQuery("UPDATE chat_shares SET revoked_at = clock_timestamp() WHERE chat_id = $1 AND user_id = $2 "
            + "AND revoked_at IS NULL").execute(Tuple.of(chatId, userId)).map(rs -> rs.rowCount() > 0);
  }

  /** The snapshot behind a live link, or null (unknown and revoked alike). */
  public Future<JsonObject> shared(String token) {
    return pool.preparedQuery("SELECT title, messages, created_at FROM chat_shares WHERE token = $1 AND revoked_at IS NULL")
        .execute(Tuple.of(token))
        .map(rs -> {
          if (!rs.iterator().hasNext()) {
            return null;
          }
          Row r = rs.iterator().next();
          Object messages = r.getValue("messages");
          return new JsonObject().put("title", r.getString("title"))
              .put("messages", messages instanceof JsonArray a ? a : new JsonArray(String.valueOf(messages)))
              .put("sharedAt", r.getOffsetDateTime("created_at").toString());
        });
  }

  private static JsonObject link(Row r) {
    String token = r.getString("token");
    return new JsonObject().put("token", token).put("url", "/s/" + token).put("chatId", r.getUUID("chat_id").toString())
        .put("createdAt", r.getOffsetDateTime("created_at").toString());
  }
}
