package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * How many generations each user has running, across every API node of a cluster, and the limit
 * (429 above it). The count lives in Vert.x shared data (Hazelcast's when clustered, this JVM's
 * otherwise): one entry per user, {jobId: lease expiry}, changed under that user's cluster lock.
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
    return change(user, running -> {
      if (running.size() >= maxPerUser) {
        throw new ApiError(429, "too_many_generations", "you already have " + running.size()
            + " generation(s) running (the limit is " + maxPerUser + "); wait for it to finish or stop it with "
            + "POST /api/jobs/" + running.fieldNames().iterator().next() + "/stop").retryAfter(2);
      }
      running.put(jobId, clock.getAsLong() + leaseMs);
      return running;
    }).onSuccess(v -> here.put(jobId, user));
  }

  Future<Void> release(UUID user, String jobId) {
    here.remove(jobId);
    return change(user, running -> {
      running.remove(jobId);
      return running;
    });
  }

  /** Extends the leases of this node's running jobs (call it more often than the lease runs out). */
  Future<Void> renew() {
    Map<UUID, java.util.List<String>> byUser = new HashMap<>();
    here.forEach((job, user) -> byUser.computeIfAbsent(user, u -> new java.util.ArrayList<>()).add(job));
    return Future.join(byUser.entrySet().stream().map(e -> change(e.getKey(), running -> {
      long until = clock.getAsLong() + leaseMs;
      e.getValue().forEach(job -> running.put(job, until));
      return running;
    })).toList()).mapEmpty();
  }

  /** Reads the user's running jobs (expired leases dropped), applies {@code f} and writes them back, under the user's lock. */
  private Future<Void> change(UUID user, Function<JsonObject, JsonObject> f) {
    String key = user.toString();
    return vertx.sharedData().getLockWithTimeout(MAP + "." + key, 10_000).compose(lock ->
        vertx.sharedData().<String, JsonObject>getAsyncMap(MAP)
            .compose(map -> map.get(key).compose(stored -> {
              JsonObject running = stored == null ? new JsonObject() : stored.copy();
              long now = clock.getAsLong();
              running.fieldNames().removeIf(job -> running.getLong(job, 0L) < now);
              JsonObject next = f.apply(running);
              return next.isEmpty() ? map.remove(key).<Void>mapEmpty() : map.put(key, next);
            }))
            .onComplete(x -> lock.release()));
  }

  /** For tests: what the shared map says about a user. */
  static Future<JsonObject> runningOf(Vertx vertx, UUID user) {
    return vertx.sharedData().<String, JsonObject>getAsyncMap(MAP).compose(map -> map.get(user.toString()));
  }
}
