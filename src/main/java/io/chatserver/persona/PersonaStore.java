package io.chatserver.persona;

import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.UUID;

/** A user's library of system messages (personas). Every query is scoped to the owner. */
public final class PersonaStore {

  private final Pool pool;

  public PersonaStore(Pool pool) {
    this.pool = pool;
  }

  public Future<JsonObject> create(UUID userId, String name, String content) {
    return insert(pool, userId, name, content, null, null);
  }

  /** Inserts with optional original timestamps (import). */
  public static Future<JsonObject> insert(SqlClient client, UUID userId, String name, String content,
                                          OffsetDateTime createdAt, OffsetDateTime updatedAt) {
    return client.preparedQuery("INSERT INTO personas (id, user_id, name, content, created_at, updated_at) "
            + "VALUES ($1, $2, $3, $4, COALESCE($5, clock_timestamp()), COALESCE($6, $5, clock_timestamp())) RETURNING *")
        .execute(Tuple.of(UUID.randomUUID(), userId, name, content, createdAt, updatedAt))
        .map(rs -> json(rs.iterator().next()));
  }

  public Future<JsonArray> list(UUID userId, int limit, int offset) {
    return pool.preparedQuery("SELECT * FROM personas WHERE user_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3")
        .execute(Tuple.of(userId, limit, offset))
        .map(PersonaStore::array);
  }

  public static Future<JsonArray> all(SqlClient client, UUID userId) {
    return client.preparedQuery("SELECT * FROM personas WHERE user_id = $1 ORDER BY created_at, id")
        .execute(Tuple.of(userId)).map(PersonaStore::array);
  }

  public Future<Long> count(UUID userId) {
    return pool.preparedQuery("SELECT count(*) FROM personas WHERE user_id = $1").execute(Tuple.of(userId))
        .map(rs -> rs.iterator().next().getLong(0));
  }

  public Future<JsonObject> get(UUID userId, UUID id) {
    return pool.preparedQuery("SELECT * FROM personas WHERE id = $1 AND user_id = $2").execute(Tuple.of(id, userId))
        .map(rs -> Rows.first(rs, PersonaStore::json));
  }

  /** Updates name and/or content (null keeps the old value); null when not the caller's. */
  public Future<JsonObject> update(UUID userId, UUID id, String name, String content) {
    return pool.preparedQuery("UPDATE personas SET name = COALESCE($3, name), content = COALESCE($4, content), "
            + "updated_at = clock_timestamp() WHERE id = $1 AND user_id = $2 RETURNING *")
        .execute(Tuple.of(id, userId, name, content))
        .map(rs -> Rows.first(rs, PersonaStore::json));
  }

  public Future<Boolean> delete(UUID userId, UUID id) {
    return pool.preparedQuery("DELETE FROM personas WHERE id = $1 AND user_id = $2").execute(Tuple.of(id, userId))
        .map(rs -> rs.rowCount() > 0);
  }

  private static JsonArray array(io.vertx.sqlclient.RowSet<Row> rs) {
    JsonArray out = new JsonArray();
    rs.forEach(r -> out.add(json(r)));
    return out;
  }

  static JsonObject json(Row r) {
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("name", r.getString("name"))
        .put("content", r.getString("content"))
        .put("createdAt", Rows.time(r, "created_at"))
        .put("updatedAt", Rows.time(r, "updated_at"));
  }
}
