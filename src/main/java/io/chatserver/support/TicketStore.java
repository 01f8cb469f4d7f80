package io.chatserver.support;

import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;

/**
 * Tickets about chats and their replies. A user's reads are scoped to the user ({@code owner});
 * an admin's pass {@code owner = null}. A user's reply opens the ticket again, an admin's marks it
 * answered.
 */
public final class TicketStore {

  public static final java.util.Set<String> STATUSES = java.util.Set.of("open", "answered", "closed");

  private final Pool pool;

  public TicketStore(Pool pool) {
    this.pool = pool;
  }

  public Future<JsonObject> create(UUID userId, UUID chatId, String chatTitle, String subject, String description,
                                   JsonArray messages) {
    return pool.preparedQuery("INSERT INTO tickets (id, user_id, chat_id, chat_title, subject, description, messages) "
            + "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *, NULL::text AS username")
        .execute(Tuple.of(UUID.randomUUID(), userId, chatId, chatTitle, subject, description, messages))
        .map(rs -> Rows.first(rs, r -> json(r, true)));
  }

  /** Tickets, newest activity first: the owner's, or (owner null) everyone's, optionally of one status. */
  public Future<JsonObject> list(UUID owner, String status, int limit, int offset) {
    String where = " WHERE ($1::uuid IS NULL OR t.user_id = $1) AND ($2::text IS NULL OR t.status = $2)";
    return pool.preparedQuery("SELECT count(*) FROM tickets t" + where).execute(Tuple.of(owner, status))
        .compose(count -> pool.preparedQuery("SELECT t.*, u.username FROM tickets t JOIN users u ON u.id = t.user_id" + where
                + " ORDER BY t.updated_at DESC, t.id LIMIT $3 OFFSET $4").execute(Tuple.of(owner, status, limit, offset))
            .map(rs -> {
              JsonArray items = new JsonArray();
              rs.forEach(r -> items.add(json(r, false)));
              return new JsonObject().put("items", items).put("total", count.iterator().next().getLong(0))
                  .put("limit", limit).put("offset", offset);
            }));
  }

  /** One ticket with its snapshot and replies, or null (also when it is not the owner's). */
  public Future<JsonObject> get(UUID owner, UUID id) {
    return pool.preparedQuery("SELECT t.*, u.username FROM tickets t JOIN users u ON u.id = t.user_id "
            + "WHERE t.id = $1 AND ($2::uuid IS NULL OR t.user_id = $2)").execute(Tuple.of(id, owner))
        .compose(rs -> {
          JsonObject t = Rows.first(rs, r -> json(r, true));
          if (t == null) {
            return Future.succeededFuture(null);
          }
          return pool.preparedQuery("SELECT r.*, u.username FROM ticket_replies r LEFT JOIN users u ON u.id = r.author_id "
                  + "WHERE r.ticket_id = $1 ORDER BY r.created_at, r.id").execute(Tuple.of(id))
              .map(replies -> {
                JsonArray out = new JsonArray();
                replies.forEach(r -> out.add(new JsonObject().put("id", r.getUUID("id").toString())
                    .put("fromAdmin", r.getBoolean("from_admin")).put("author", r.getString("username"))
                    .put("body", r.getString("body")).put("createdAt", Rows.time(r, "created_at"))));
                return t.put("replies", out);
              });
        });
  }

  /** Adds a reply (owner null: an admin's) and sets the status; false when the ticket is not there (or not the owner's). */
  public Future<Boolean> reply(UUID owner, UUID ticketId, UUID authorId, String body) {
    boolean admin = owner == null;
    return pool.withTransaction(c -> c.preparedQuery("UPDATE tickets SET status = $3, updated_at = clock_timestamp() "
            + "WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2) RETURNING id")
        .execute(Tuple.of(ticketId, owner, admin ? "answered" : "open"))
        .compose(rs -> rs.rowCount() == 0 ? Future.succeededFuture(false)
            : c.preparedQuery("INSERT INTO ticket_replies (id, ticket_id, author_id, from_admin, body) VALUES ($1, $2, $3, $4, $5)")
                .execute(Tuple.of(UUID.randomUUID(), ticketId, authorId, admin, body)).map(x -> true)));
  }

  public Future<Boolean> setStatus(UUID ticketId, String status) {
    return pool.preparedQuery("UPDATE tickets SET status = $2, updated_at = clock_timestamp() WHERE id = $1")
        .execute(Tuple.of(ticketId, status)).map(rs -> rs.rowCount() > 0);
  }

  private static JsonObject json(Row r, boolean whole) {
    UUID chat = r.getUUID("chat_id");
    JsonObject j = new JsonObject().put("id", r.getUUID("id").toString()).put("userId", r.getUUID("user_id").toString())
        .put("chatId", chat == null ? null : chat.toString()).put("chatTitle", r.getString("chat_title"))
        .put("subject", r.getString("subject")).put("status", r.getString("status"))
        .put("createdAt", Rows.time(r, "created_at")).put("updatedAt", Rows.time(r, "updated_at"));
    if (r.getString("username") != null) {
      j.put("username", r.getString("username"));
    }
    if (whole) {
      Object m = r.getValue("messages");
      j.put("description", r.getString("description"))
          .put("messages", m instanceof JsonArray a ? a : new JsonArray(String.valueOf(m)));
    }
    return j;
  }
}
