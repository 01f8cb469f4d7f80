package io.chatserver.user;

import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;

/** Users and their profiles. */
public final class UserStore {

  /** What login needs of a user. */
  public record Credentials(UUID id, String username, String role, String passwordHash) {}

  /** Thrown when the username is taken. */
  public static final class UsernameTaken extends RuntimeException {
    public UsernameTaken() {
      super("username taken", null, false, false);
    }
  }

  private static final String PROFILE_COLUMNS =
      "id, username, role, nickname, system_prompt, preferred_model, settings, terms_accepted_at, created_at, updated_at, disabled_at, "
      + "default_personality";

  private final Pool pool;

  public UserStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Creates a user. The first user of an empty database is made admin ({@code forceAdmin} makes
   * any user admin); an advisory lock keeps two simultaneous first registrations from both winning.
   */
  public Future<JsonObject> create(String username, String passwordHash, boolean forceAdmin) {
    UUID id = UUID.randomUUID();
    return pool.withTransaction(conn -> conn.query("SELECT pg_advisory_xact_lock(4242)").execute()
        .compose(v -> conn.preparedQuery("INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, "
                + "CASE WHEN $4 OR NOT EXISTS (SELECT 1 FROM users) THEN 'admin' ELSE 'user' END) RETURNING " + PROFILE_COLUMNS)
            .execute(Tuple.of(id, username, passwordHash, forceAdmin))))
        .recover(e -> Future.failedFuture(isUniqueViolation(e) ? new UsernameTaken() : e))
        .map(rs -> profile(rs.iterator().next()));
  }

  public Future<Credentials> credentials(String username) {
    return pool.preparedQuery("SELECT id, username, role, password_hash FROM users WHERE lower(username) = lower($1) "
            + "AND disabled_at IS NULL")
        .execute(Tuple.of(username))
        .map(rs -> Rows.first(rs, r -> new Credentials(r.getUUID("id"), r.getString("username"), r.getString("role"),
            r.getString("password_hash"))));
  }

  /** The password hash of a disabled account (or one waiting for an admin's approval) of that name, or null. */
  public Future<String> disabledPasswordHash(String username) {
    return pool.preparedQuery("SELECT password_hash FROM users WHERE lower(username) = lower($1) AND disabled_at IS NOT NULL")
        .execute(Tuple.of(username)).map(rs -> Rows.first(rs, r -> r.getString("password_hash")));
  }

  public Future<JsonObject> profile(UUID userId) {
    return pool.preparedQuery("SELECT " + PROFILE_COLUMNS + " FROM users WHERE id = $1")
        .execute(Tuple.of(userId)).map(rs -> Rows.first(rs, UserStore::profile));
  }

  /**
   * Applies a profile change. {@code changes} holds only the columns to set (nickname,
   * system_prompt, preferred_model, settings, accept_terms); absent keys stay as they are.
   */
  public Future<JsonObject> update(UUID userId, JsonObject changes) {
    StringBuilder sql = new StringBuilder("UPDATE users SET updated_at = clock_timestamp()");
    Tuple args = Tuple.of(userId);
    for (String column : new String[] {"nickname", "system_prompt", "preferred_model", "default_personality"}) {
      if (changes.containsKey(column)) {
        args.addValue(changes.getValue(column));
        sql.append(", ").append(column).append(" = $").append(args.size());
      }
    }
    if (changes.containsKey("settings")) {
      args.addValue(changes.getJsonObject("settings"));
      sql.append(", settings = $").append(args.size());
    }
    if (Boolean.TRUE.equals(changes.getBoolean("accept_terms"))) {
      sql.append(", terms_accepted_at = COALESCE(terms_accepted_at, clock_timestamp())");
    }
    sql.append(" WHERE id = $1 RETURNING ").append(PROFILE_COLUMNS);
    return pool.preparedQuery(sql.toString()).execute(args).map(rs -> Rows.first(rs, UserStore::profile));
  }

  /**
   * Merges an imported profile into the user's, in the caller's transaction: each given field
   * replaces the user's (null keeps it), imported settings go over the user's.
   */
  public static Future<Void> mergeImported(SqlClient client, UUID userId, String nickname, String systemPrompt,
                                           String preferredModel, JsonObject settings) {
    return client.preparedQuery("UPDATE users SET nickname = COALESCE($2, nickname), "
            + "system_prompt = COALESCE($3, system_prompt), preferred_model = COALESCE($4, preferred_model), "
            + "settings = settings || COALESCE($5, '{}'::jsonb), updated_at = clock_timestamp() WHERE id = $1")
        .execute(Tuple.of(userId, nickname, systemPrompt, preferredModel, settings)).mapEmpty();
  }

  public Future<Void> setPassword(UUID userId, String passwordHash) {
    return pool.preparedQuery("UPDATE users SET password_hash = $2, updated_at = clock_timestamp() WHERE id = $1")
        .execute(Tuple.of(userId, passwordHash)).mapEmpty();
  }

  /** Sets the role and ends the user's sessions (they log in again under the new role). */
  public Future<JsonObject> setRole(UUID userId, String role) {
    return pool.withTransaction(conn -> conn.preparedQuery("UPDATE users SET role = $2, updated_at = clock_timestamp() "
            + "WHERE id = $1 RETURNING " + PROFILE_COLUMNS).execute(Tuple.of(userId, role))
        .compose(rs -> conn.preparedQuery("UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL")
            .execute(Tuple.of(userId)).map(x -> Rows.first(rs, UserStore::profile))));
  }

  public Future<Boolean> delete(UUID userId) {
    return pool.preparedQuery("DELETE FROM users WHERE id = $1").execute(Tuple.of(userId)).map(rs -> rs.rowCount() > 0);
  }

  /** All users, for admins, with how many chats each has. */
  public Future<JsonArray> list(int limit, int offset) {
    return pool.preparedQuery("SELECT u.*, (SELECT count(*) FROM chats c WHERE c.user_id = u.id) AS chat_count "
            + "FROM users u ORDER BY u.created_at LIMIT $1 OFFSET $2")
        .execute(Tuple.of(limit, offset))
        .map(rs -> {
          JsonArray out = new JsonArray();
          rs.forEach(r -> out.add(profile(r).put("chatCount", r.getLong("chat_count"))
              .put("quota", new JsonObject().put("tokensPerDay", r.getInteger("quota_tokens_per_day"))
                  .put("requestsPerMinute", r.getInteger("quota_requests_per_minute")))));
          return out;
        });
  }

  public Future<Long> count() {
    return pool.query("SELECT count(*) FROM users").execute().map(rs -> rs.iterator().next().getLong(0));
  }

  static JsonObject profile(Row r) {
    Object settings = r.getValue("settings");
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("username", r.getString("username"))
        .put("role", r.getString("role"))
        .put("nickname", r.getString("nickname"))
        .put("systemPrompt", r.getString("system_prompt"))
        .put("preferredModel", r.getString("preferred_model"))
        .put("defaultPersonality", r.getString("default_personality"))
        .put("settings", settings instanceof JsonObject o ? o : new JsonObject())
        .put("termsAcceptedAt", Rows.time(r, "terms_accepted_at"))
        .put("createdAt", Rows.time(r, "created_at"))
        .put("updatedAt", Rows.time(r, "updated_at"))
        .put("disabled", r.getValue("disabled_at") != null);
  }

  /** Disables (or enables) an account; disabling ends its sessions. Returns the profile, or null. */
  public Future<JsonObject> setDisabled(UUID userId, boolean disabled) {
    return pool.withTransaction(conn -> conn.preparedQuery("UPDATE users SET disabled_at = CASE WHEN $2 THEN clock_timestamp() "
            + "ELSE NULL END, updated_at = clock_timestamp() WHERE id = $1 RETURNING " + PROFILE_COLUMNS)
        .execute(Tuple.of(userId, disabled))
        .compose(rs -> !disabled ? Future.succeededFuture(Rows.first(rs, UserStore::profile))
            : conn.preparedQuery("UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL")
                .execute(Tuple.of(userId)).map(x -> Rows.first(rs, UserStore::profile))));
  }

  /** How many enabled admins there are (the last one may not delete or disable themselves). */
  public Future<Long> adminCount() {
    return pool.query("SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL").execute()
        .map(rs -> rs.iterator().next().getLong(0));
  }

  static boolean isUniqueViolation(Throwable e) {
    return e instanceof PgException pg && "23505".equals(pg.getSqlState());
  }
}
