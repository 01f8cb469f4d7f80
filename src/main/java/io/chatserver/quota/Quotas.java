package io.chatserver.quota;

import io.chatserver.errors.Refusal;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.UUID;

/**
 * Answer quotas: tokens per day (UTC) and requests per minute, per user; an admin's setting for
 * the user, else the default of the user's role ({@code conf: quotas.<role>}); null = no limit.
 * Tokens are counted from the usage the server records ({@code usage_daily}, shared by every API
 * node); requests per minute are counted by the generation service's cluster-wide admission.
 */
public final class Quotas {

  /** A user's limits (null: none) and the tokens used today. */
  public record Limits(Integer tokensPerDay, Integer requestsPerMinute, long tokensToday) {}

  private final Pool pool;
  private final JsonObject defaults;

  /** @param defaults {@code conf: quotas}: {user: {tokensPerDay, requestsPerMinute}, admin: {...}} */
  public Quotas(Pool pool, JsonObject defaults) {
    this.pool = pool;
    this.defaults = defaults == null ? new JsonObject() : defaults;
  }

  public Future<Limits> limits(UUID userId) {
    return pool.preparedQuery("SELECT u.role, u.quota_tokens_per_day, u.quota_requests_per_minute, "
            + "(SELECT COALESCE(sum(prompt_tokens + completion_tokens), 0) FROM usage_daily d WHERE d.user_id = u.id AND d.day = $2) "
            + "AS tokens_today FROM users u WHERE u.id = $1")
        .execute(Tuple.of(userId, LocalDate.now(ZoneOffset.UTC)))
        .map(rs -> {
          if (!rs.iterator().hasNext()) {
            return new Limits(null, null, 0);
          }
          Row r = rs.iterator().next();
          JsonObject role = defaults.getJsonObject(r.getString("role"), new JsonObject());
          Integer tokens = r.getInteger("quota_tokens_per_day");
          Integer rpm = r.getInteger("quota_requests_per_minute");
          return new Limits(tokens != null ? tokens : role.getInteger("tokensPerDay"),
              rpm != null ? rpm : role.getInteger("requestsPerMinute"), r.getLong("tokens_today"));
        });
  }

  /** The limits, or a 429 when the day's tokens are used up (Retry-After: until midnight UTC). */
  public Future<Limits> admit(UUID userId) {
    return limits(userId).map(l -> {
      if (l.tokensPerDay() != null && l.tokensToday() >= l.tokensPerDay()) {
        throw Refusal.limited("token_quota_exceeded", "your daily limit of " + l.tokensPerDay()
            + " tokens is used up (" + l.tokensToday() + " today); it starts again at midnight UTC", secondsToMidnightUtc());
      }
      return l;
    });
  }

  static long secondsToMidnightUtc() {
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    return Math.max(1, Duration.between(now, now.toLocalDate().plusDays(1).atStartOfDay(ZoneOffset.UTC)).toSeconds());
  }

  /** What a user (or an admin looking at one) reads: each limit, where it comes from, and today's use. */
  public Future<JsonObject> describe(UUID userId) {
    return pool.preparedQuery("SELECT quota_tokens_per_day, quota_requests_per_minute FROM users WHERE id = $1")
        .execute(Tuple.of(userId))
        .compose(rs -> {
          if (!rs.iterator().hasNext()) {
            return Future.succeededFuture(null);
          }
          Row own = rs.iterator().next();
          return limits(userId).map(l -> new JsonObject()
              .put("tokensPerDay", new JsonObject().put("limit", l.tokensPerDay()).put("used", l.tokensToday())
                  .put("own", own.getInteger("quota_tokens_per_day") != null)
                  .put("resetsInSeconds", secondsToMidnightUtc()))
              .put("requestsPerMinute", new JsonObject().put("limit", l.requestsPerMinute())
                  .put("own", own.getInteger("quota_requests_per_minute") != null)));
        });
  }

  /** An admin sets a user's own limits (null: back to the role's default); false when there is no such user. */
  public Future<Boolean> set(UUID userId, Integer tokensPerDay, Integer requestsPerMinute) {
    return pool.preparedQuery("UPDATE users SET quota_tokens_per_day = $2, quota_requests_per_minute = $3 WHERE id = $1")
        .execute(Tuple.of(userId, tokensPerDay, requestsPerMinute)).map(rs -> rs.rowCount() > 0);
  }
}
