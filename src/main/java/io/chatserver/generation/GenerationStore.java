package io.chatserver.generation;

import io.chatserver.chat.MessageStatus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.UUID;

/** What generation writes: the growing assistant message, its final status and usage, and daily usage totals. */
public final class GenerationStore {

  private final Pool pool;

  public GenerationStore(Pool pool) {
    this.pool = pool;
  }

  /** Saves the text so far; the message stays 'streaming'. */
  Future<Void> saveText(UUID messageId, String text) {
    return pool.preparedQuery("UPDATE messages SET content = $2, updated_at = clock_timestamp() WHERE id = $1 AND status = 'streaming'")
        .execute(Tuple.of(messageId, text)).mapEmpty();
  }

  /**
   * The end: the whole text, the status (done, stopped, error), usage, and what the answer carried
   * beside its text ({reasoning?, toolCalls?}; null keeps what the message had).
   */
  Future<Void> finish(UUID messageId, String text, MessageStatus status, String model, JsonObject usage, JsonObject extra) {
    return pool.preparedQuery("UPDATE messages SET content = $2, status = $3, model = $4, usage = $5, "
            + "extra = COALESCE($6, extra), updated_at = clock_timestamp() WHERE id = $1")
        .execute(Tuple.of(messageId, text, status.wire(), model, usage, extra)).mapEmpty();
  }

  Future<Void> recordUsage(UUID userId, String model, int promptTokens, int completionTokens) {
    return pool.preparedQuery("INSERT INTO usage_daily (user_id, model, day, requests, prompt_tokens, completion_tokens) "
            + "VALUES ($1, $2, $3, 1, $4, $5) ON CONFLICT (user_id, model, day) DO UPDATE SET "
            + "requests = usage_daily.requests + 1, prompt_tokens = usage_daily.prompt_tokens + EXCLUDED.prompt_tokens, "
            + "completion_tokens = usage_daily.completion_tokens + EXCLUDED.completion_tokens")
        .execute(Tuple.of(userId, model, LocalDate.now(ZoneOffset.UTC), promptTokens, completionTokens)).mapEmpty();
  }

  /**
   * Messages left 'streaming' by a job that no node runs any more (a restart, a crash): nothing has
   * written them for {@code staleSeconds}, so they are marked 'error'; their text is kept.
   */
  public Future<Integer> markAbandoned(int staleSeconds) {
    return pool.preparedQuery("UPDATE messages SET status = 'error', usage = COALESCE(usage, '{}'::jsonb) || "
            + "jsonb_build_object('error', 'generation was interrupted (server restart or worker loss)') "
            + "WHERE status = 'streaming' AND updated_at < clock_timestamp() - make_interval(secs => $1)")
        .execute(Tuple.of(staleSeconds)).map(rs -> rs.rowCount());
  }

  /** Usage rows (day, model, requests, tokens) of one user, or of everyone when {@code userId} is null. */
  public Future<JsonArray> usage(UUID userId, LocalDate from, LocalDate to) {
    String sql = "SELECT u.day, u.model, u.requests, u.prompt_tokens, u.completion_tokens, u.user_id, us.username "
        + "FROM usage_daily u JOIN users us ON us.id = u.user_id WHERE u.day BETWEEN $1 AND $2"
        + (userId == null ? "" : " AND u.user_id = $3") + " ORDER BY u.day DESC, us.username, u.model";
    Tuple args = userId == null ? Tuple.of(from, to) : Tuple.of(from, to, userId);
    return pool.preparedQuery(sql).execute(args).map(rs -> {
      JsonArray out = new JsonArray();
      rs.forEach(r -> {
        JsonObject row = new JsonObject().put("day", r.getLocalDate("day").toString()).put("model", r.getString("model"))
            .put("requests", r.getLong("requests")).put("promptTokens", r.getLong("prompt_tokens"))
            .put("completionTokens", r.getLong("completion_tokens"));
        if (userId == null) {
          row.put("userId", r.getUUID("user_id").toString()).put("username", r.getString("username"));
        }
        out.add(row);
      });
      return out;
    });
  }
}
