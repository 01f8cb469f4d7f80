package io.chatserver.support;

import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;

/** Feedback about whole chats: one per user and chat, listed for admins with filters. */
public final class FeedbackStore {

  private final Pool pool;

  public FeedbackStore(Pool pool) {
    this.pool = pool;
  }

  /** Gives (or replaces) the user's feedback on the chat; null when the chat is not the user's. */
  public Future<JsonObject> give(UUID userId, UUID chatId, int rating, String comment) {
    return pool.preparedQuery("INSERT INTO chat_feedback (id, user_id, chat_id, chat_title, rating, comment) "
            + "SELECT $1, $2, c.id, c.title, $4, $5 FROM chats c WHERE c.id = $3 AND c.user_id = $2 "
            + "ON CONFLICT (user_id, chat_id) WHERE chat_id IS NOT NULL "
            + "DO UPDATE SET rating = EXCLUDED.rating, comment = EXCLUDED.comment, updated_at = clock_timestamp() "
            + "RETURNING *, NULL::text AS username")
        .execute(Tuple.of(UUID.randomUUID(), userId, chatId, rating, comment))
        .map(rs -> Rows.first(rs, FeedbackStore::json));
  }

  public Future<JsonObject> mine(UUID userId, UUID chatId) {
    return pool.preparedQuery("SELECT *, NULL::text AS username FROM chat_feedback WHERE user_id = $1 AND chat_id = $2")
        .execute(Tuple.of(userId, chatId)).map(rs -> Rows.first(rs, FeedbackStore::json));
  }

  /** Everyone's feedback, newest first, optionally only one rating and/or one user. */
  public Future<JsonObject> list(Integer rating, UUID userId, int limit, int offset) {
    String where = " WHERE ($1::smallint IS NULL OR f.rating = $1) AND ($2::uuid IS NULL OR f.user_id = $2)";
    Tuple filter = Tuple.of(rating == null ? null : rating.shortValue(), userId);
    return pool.preparedQuery("SELECT count(*) FROM chat_feedback f" + where).execute(filter)
        .compose(count -> pool.preparedQuery("SELECT f.*, u.username FROM chat_feedback f JOIN users u ON u.id = f.user_id" + where
                + " ORDER BY f.updated_at DESC, f.id LIMIT $3 OFFSET $4")
            .execute(Tuple.of(filter.getValue(0), userId, limit, offset))
            .map(rs -> {
              JsonArray items = new JsonArray();
              rs.forEach(r -> items.add(json(r)));
              return new JsonObject().put("items", items).put("total", count.iterator().next().getLong(0))
                  .put("limit", limit).put("offset", offset);
            }));
  }

  private static JsonObject json(Row r) {
    UUID chat = r.getUUID("chat_id");
    JsonObject j = new JsonObject().put("id", r.getUUID("id").toString()).put("userId", r.getUUID("user_id").toString())
        .put("chatId", chat == null ? null : chat.toString()).put("chatTitle", r.getString("chat_title"))
        .put("rating", (int) r.getShort("rating")).put("comment", r.getString("comment"))
        .put("createdAt", Rows.time(r, "created_at")).put("updatedAt", Rows.time(r, "updated_at"));
    if (r.getString("username") != null) {
      j.put("username", r.getString("username"));
    }
    return j;
  }
}
