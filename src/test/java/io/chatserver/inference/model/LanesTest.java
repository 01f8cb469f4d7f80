package io.chatserver.inference.model;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LanesTest {

  @Test
  void eachShardRunsOnItsOwnThreadAndResultsComeBackByShard() {
    try (Lanes lanes = new Lanes(3, "test")) {
      Set<String> threads = ConcurrentHashMap.newKeySet();
      for (int round = 0; round < 100; round++) {
        int r = round;
        Object[] out = lanes.map(s -> {
          threads.add(Thread.currentThread().getName());
          return s * 1000 + r;
        });
        assertArrayEquals(new Object[] {r, 1000 + r, 2000 + r}, out);
      }
      assertEquals(3, threads.size(), "shard 0 on the caller, shards 1 and 2 on the two helpers");
      assertEquals(Thread.currentThread().getName(),
          lanes.map(s -> Thread.currentThread().getName())[0]);
    }
  }

  @Test
  void aHelpersFailureReachesTheCallerAndTheLanesGoOn() {
    try (Lanes lanes = new Lanes(2, "test")) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> lanes.map(s -> {
        if (s == 1) {
          throw new IllegalStateException("shard 1 failed");
        }
        return s;
      }));
      assertEquals("shard 1 failed", e.getMessage());
      assertArrayEquals(new Object[] {0, 1}, lanes.map(s -> s));
    }
  }

  @Test
  void anIdleHelperParksAndWakesForTheNextShard() throws Exception {
    try (Lanes lanes = new Lanes(2, "test")) {
      lanes.map(s -> s);
      Thread.sleep(Lanes.SPIN_NANOS / 1_000_000 * 5); // long past the spin: the helper is parked
      assertArrayEquals(new Object[] {0, 1}, lanes.map(s -> s));
    }
  }
}
