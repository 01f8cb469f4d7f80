package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * How many generations each user has running, across every API node of a cluster, and the limit
 * (429 above it). The count lives in Vert.x shared data (Hazelcast's when clustered, this JVM's
 * otherwise): one entry per user, {jobs: {jobId: lease expiry}, minute, requests}, changed under
 * that user's cluster lock; {@code requests} counts the answers started in that clock minute, for
 * a requests-per-minute quota.
 * Every node renews the leases of its own running jobs; a node that dies stops renewing, so its
 * jobs stop counting one lease later instead of holding their users' slots for ever.
 */
final class Admission {

  static final String MAP = "generation.running";

  private final Vertx vertx;
  private final int maxPerUser;
  private final long leaseMs;
  /** The jobs admitted on this node and still running: jobId -> user (this node renews their leases). */
  private final Map<String, UUID> here = new HashMap<>();

  /** The wall clock (leases are compared across nodes; tests give their own). */
  private final LongSupplier clock;

  Admission(Vertx vertx, int maxPerUser, long leaseMs) {
    this(vertx, maxPerUser, leaseMs, System::currentTimeMillis);
  }

  Admission(Vertx vertx, int maxPerUser, long leaseMs, LongSupplier clock) {
    this.vertx = vertx;
    this.maxPerUser = maxPerUser;
    this.leaseMs = leaseMs;
    this.clock = clock;
  }

  /** Takes a slot for the job, or fails with 429 naming a job that holds one. */
  Future<Void> admit(UUID user, String jobId) {
    return admit(user, jobId, null);
  }

  /** As above, and counts the start against {@code perMinute} answers a minute (null: no limit; 429 above it). */
  Future<Void> admit(UUID user, String jobId, Integer perMinute) {
    return change(user, entry -> {
      JsonObject running = entry.getJsonObject("jobs");
      if (running.size() >= maxPerUser) {
        throw new ApiError(429, "too_many_generations", "you already have " + running.size()
            + " generation(s) running (the limit is " + maxPerUser + "); wait for it to finish or stop it with "
            + "POST /api/jobs/" + running.fieldNames().iterator().next() + "/stop").retryAfter(2);
      }
      long now = clock.getAsLong();
      long minute = now / 60_000;
      int requests = entry.getLong("minute", -1L) == minute ? entry.getInteger("requests", 0) : 0;
      if (perMinute != null && requests >= perMinute) {
        throw new ApiError(429, "rate_limited", "your limit of " + perMinute + " answers per minute is reached; "
            + "try again in a moment").retryAfter(Math.max(1, ((minute + 1) * 60_000 - now + 999) / 1000));
      }
      running.put(jobId, now + leaseMs);
      return entry.put("minute", minute).put("requests", requests + 1);
    }).onSuccess(v -> here.put(jobId, user));
  }

  Future<Void> release(UUID user, String jobId) {
    here.remove(jobId);
    return change(user, entry -> {
      entry.getJsonObject("jobs").remove(jobId);
      return entry;
    });
  }

  /** Extends the leases of this node's running jobs (call it more often than the lease runs out). */
  Future<Void> renew() {
    Map<UUID, java.util.List<String>> byUser = new HashMap<>();
    here.forEach((job, user) -> byUser.computeIfAbsent(user, u -> new java.util.ArrayList<>()).add(job));
    return Future.join(byUser.entrySet().stream().map(e -> change(e.getKey(), entry -> {
      long until = clock.getAsLong() + leaseMs;
      e.getValue().forEach(job -> entry.getJsonObject("jobs").put(job, until));
      return entry;
    })).toList()).mapEmpty();
  }

  /**
   * Reads the user's entry (expired leases dropped), applies {@code f} and writes it back, under the
   * user's lock; an entry with no job and no request this minute is removed.
   */
  private Future<Void> change(UUID user, Function<JsonObject, JsonObject> f) {
    String key = user.toString();
    return vertx.sharedData().getLockWithTimeout(MAP + "." + key, 10_000).compose(lock ->
        vertx.sharedData().<String, JsonObject>getAsyncMap(MAP)
            .compose(map -> map.get(key).compose(stored -> {
              JsonObject entry = stored == null ? new JsonObject() : stored.copy();
              JsonObject running = entry.getJsonObject("jobs", new JsonObject());
              entry.put("jobs", running);
              long now = clock.getAsLong();
              running.fieldNames().removeIf(job -> running.getLong(job, 0L) < now);
              JsonObject next = f.apply(entry);
              boolean idle = next.getJsonObject("jobs").isEmpty() && next.getLong("minute", -1L) != now / 60_000;
              return idle ? map.remove(key).<Void>mapEmpty() : map.put(key, next);
            }))
            .onComplete(x -> lock.release()));
  }

  /** The user's running jobs, on every API node, as the shared map has them ({jobId: lease expiry}), or null. */
  static Future<JsonObject> runningOf(Vertx vertx, UUID user) {
    return vertx.sharedData().<String, JsonObject>getAsyncMap(MAP).compose(map -> map.get(user.toString()))
        .map(e -> e == null || e.getJsonObject("jobs").isEmpty() ? null : e.getJsonObject("jobs"));
  }
}
