package io.chatserver.generation;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Finished jobs kept for a while so that clients can still resume or read them: at most
 * {@code max} of them, none older than {@code retentionMs}; the oldest go first. Each comes with
 * what forgets it (off the job map, its replay address unregistered). One sweep for all of them
 * instead of a timer per job. Used on the generation service's context only.
 */
final class Retention {

  private record Kept(long since, Runnable forget) {}

  private final long retentionMs;
  private final int max;
  private final LongSupplier clock;
  private final LinkedHashMap<String, Kept> kept = new LinkedHashMap<>();

  Retention(long retentionMs, int max, LongSupplier clock) {
    this.retentionMs = retentionMs;
    this.max = Math.max(1, max);
    this.clock = clock;
  }

  void keep(String key, Runnable forget) {
    Kept before = kept.remove(key);
    if (before != null) {
      before.forget().run();
    }
    kept.put(key, new Kept(clock.getAsLong(), forget));
    while (kept.size() > max) {
      forgetOldest();
    }
  }

  /** Forgets what has been kept longer than the retention time. */
  void sweep() {
    long now = clock.getAsLong();
    Iterator<Map.Entry<String, Kept>> it = kept.entrySet().iterator();
    while (it.hasNext()) {
      Kept k = it.next().getValue();
      if (now - k.since() < retentionMs) {
        return; // in the order kept: the rest are younger
      }
      it.remove();
      k.forget().run();
    }
  }

  int size() {
    return kept.size();
  }

  private void forgetOldest() {
    Iterator<Map.Entry<String, Kept>> it = kept.entrySet().iterator();
    Kept k = it.next().getValue();
    it.remove();
    k.forget().run();
  }
}
