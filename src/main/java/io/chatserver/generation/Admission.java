package io.chatserver.generation;

import io.chatserver.api.ApiError;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * How many generations each user has running, and the limit (429 above it). Used only on the
 * generation service's context, so it needs no locks.
 */
final class Admission {

  private final int maxPerUser;
  private final Map<UUID, Set<String>> running = new HashMap<>();

  Admission(int maxPerUser) {
    this.maxPerUser = maxPerUser;
  }

  /** Takes a slot for the job, or fails with 429 naming the job that holds it. */
  void admit(UUID user, String jobId) {
    Set<String> mine = running.computeIfAbsent(user, k -> new LinkedHashSet<>());
    if (mine.size() >= maxPerUser) {
      throw new ApiError(429, "too_many_generations", "you already have " + mine.size()
          + " generation(s) running (the limit is " + maxPerUser + "); wait for it to finish or stop it with "
          + "POST /api/jobs/" + mine.iterator().next() + "/stop").retryAfter(2);
    }
    mine.add(jobId);
  }

  void release(UUID user, String jobId) {
    Set<String> mine = running.get(user);
    if (mine != null && mine.remove(jobId) && mine.isEmpty()) {
      running.remove(user);
    }
  }
}
