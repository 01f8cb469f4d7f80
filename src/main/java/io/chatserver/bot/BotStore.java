package io.chatserver.bot;

import io.chatserver.errors.Refusal;
import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;

/** Bots in PostgreSQL: their settings, and their image (bytes and type) apart. */
public final class BotStore {

  private static final String COLUMNS = "id, code, name, description, system_prompt, model, settings, starters, start, enabled, "
      + "image_type IS NOT NULL AS has_image, created_at, updated_at";

  private final Pool pool;

  public BotStore(Pool pool) {
    this.pool = pool;
  }

  /** The fields of a new or changed bot (null = unchanged on update). */
  public record Fields(String code, String name, String description, boolean systemPromptSet, String systemPrompt,
                       boolean modelSet, String model, JsonObject settings, JsonArray starters, Boolean start,
                       Boolean enabled) {}

  /** A page of bots: enabled ones only unless {@code all}; {@code q} matches name, code or description. */
  public Future<JsonObject> list(String q, boolean all, boolean startOnly, int limit, int offset) {
    String where = " FROM bots WHERE ($1 OR enabled) AND (NOT $2 OR start) AND ($3::text IS NULL OR name ILIKE $3 "
        + "OR code ILIKE $3 OR description ILIKE $3)";
    String like = q == null || q.isBlank() ? null : "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    Tuple args = Tuple.of(all, startOnly, like);
    return pool.preparedQuery("SELECT count(*)" + where).execute(args).compose(c -> pool.preparedQuery("SELECT " + COLUMNS
            + where + " ORDER BY name, code LIMIT $4 OFFSET $5").execute(Tuple.of(all, startOnly, like, limit, offset))
        .map(rs -> {
          JsonArray items = new JsonArray();
          rs.forEach(r -> items.add(json(r)));
          return new JsonObject().put("items", items).put("total", c.iterator().next().getLong(0));
        }));
  }

  /** The bot, or null; a disabled bot only when {@code all}. */
  public Future<JsonObject> get(UUID id, boolean all) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM bots WHERE id = $1 AND ($2 OR enabled)").execute(Tuple.of(id, all))
        .map(rs -> Rows.first(rs, BotStore::json));
  }

  public Future<JsonObject> byCode(String code) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM bots WHERE code = $1 AND enabled").execute(Tuple.of(code))
        .map(rs -> Rows.first(rs, BotStore::json));
  }

  public Future<JsonObject> create(Fields f) {
    return pool.preparedQuery("INSERT INTO bots (id, code, name, description, system_prompt, model, settings, starters, start, "
            + "enabled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING " + COLUMNS)
        .execute(Tuple.tuple().addUUID(UUID.randomUUID()).addString(f.code()).addString(f.name())
            .addString(f.description() == null ? "" : f.description()).addString(f.systemPrompt()).addString(f.model())
            .addValue(f.settings() == null ? new JsonObject() : f.settings())
            .addValue(f.starters() == null ? new JsonArray() : f.starters())
            .addBoolean(Boolean.TRUE.equals(f.start())).addBoolean(f.enabled() == null || f.enabled()))
        .map(rs -> json(rs.iterator().next())).recover(BotStore::duplicate);
  }

  public Future<JsonObject> update(UUID id, Fields f) {
    return pool.preparedQuery("UPDATE bots SET code = COALESCE($2, code), name = COALESCE($3, name), "
            + "description = COALESCE($4, description), system_prompt = CASE WHEN $5 THEN $6 ELSE system_prompt END, "
            + "model = CASE WHEN $7 THEN $8 ELSE model END, settings = COALESCE($9, settings), "
            + "starters = COALESCE($10, starters), start = COALESCE($11, start), enabled = COALESCE($12, enabled), "
            + "updated_at = clock_timestamp() WHERE id = $1 RETURNING " + COLUMNS)
        .execute(Tuple.tuple().addUUID(id).addString(f.code()).addString(f.name()).addString(f.description())
            .addBoolean(f.systemPromptSet()).addString(f.systemPrompt()).addBoolean(f.modelSet()).addString(f.model())
            .addValue(f.settings()).addValue(f.starters()).addBoolean(f.start()).addBoolean(f.enabled()))
        .map(rs -> Rows.first(rs, BotStore::json)).recover(BotStore::duplicate);
  }

  public Future<Boolean> delete(UUID id) {
    return pool.preparedQuery("DELETE FROM bots WHERE id = $1").execute(Tuple.of(id)).map(rs -> rs.rowCount() > 0);
  }

  public Future<Boolean> setImage(UUID id, Buffer bytes, String type) {
    return pool.preparedQuery("UPDATE bots SET image = $2, image_type = $3, updated_at = clock_timestamp() WHERE id = $1")
        .execute(Tuple.of(id, bytes, type)).map(rs -> rs.rowCount() > 0);
  }

  /** {type, bytes, etag} of an enabled bot's image, or null. */
  public Future<JsonObject> image(UUID id) {
    return pool.preparedQuery("SELECT image, image_type, updated_at FROM bots WHERE id = $1 AND enabled AND image IS NOT NULL")
        .execute(Tuple.of(id)).map(rs -> Rows.first(rs, r -> new JsonObject().put("type", r.getString("image_type"))
            .put("bytes", r.getBuffer("image").getBytes()).put("etag", "\"" + Integer.toHexString(Rows.time(r, "updated_at").hashCode()) + "\"")));
  }

  private static <T> Future<T> duplicate(Throwable e) {
    if (Rows.isUniqueViolation(e)) {
      return Future.failedFuture(Refusal.conflict("a bot with that code already exists"));
    }
    return Future.failedFuture(e);
  }

  static JsonObject json(Row r) {
    String id = r.getUUID("id").toString();
    return new JsonObject().put("id", id).put("code", r.getString("code")).put("name", r.getString("name"))
        .put("description", r.getString("description")).put("systemPrompt", r.getString("system_prompt"))
        .put("model", r.getString("model")).put("settings", r.getValue("settings")).put("starters", r.getValue("starters"))
        .put("start", r.getBoolean("start")).put("enabled", r.getBoolean("enabled"))
        .put("image", r.getBoolean("has_image") ? "/api/bots/" + id + "/image" : null)
        .put("createdAt", Rows.time(r, "created_at")).put("updatedAt", Rows.time(r, "updated_at"));
  }
}
