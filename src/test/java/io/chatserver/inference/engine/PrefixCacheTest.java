package io.chatserver.inference.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Kept prefixes: found by the longest shared start, and all forgotten when an admin clears the caches. */
class PrefixCacheTest {

  private static long[] tokens(int n, long offset) {
    long[] t = new long[n];
    for (int i = 0; i < n; i++) {
      t[i] = offset + i;
    }
    return t;
  }

  @Test
  void aKeptConversationIsFoundUntilTheCacheIsCleared() {
    PrefixCache cache = new PrefixCache(5, 2);
    List<Integer> copies = new ArrayList<>();
    cache.retain(tokens(20, 100), 20, copies::add);
    assertEquals(List.of(5), copies, "kept in the first spare slot");
    long[] nextTurn = java.util.Arrays.copyOf(tokens(20, 100), 30);
    PrefixCache.Hit hit = cache.lookup(nextTurn);
    assertNotNull(hit);
    assertEquals(5, hit.slot());
    assertEquals(20, hit.length());
    assertNull(cache.lookup(tokens(30, 900)), "another conversation shares nothing");
    cache.clear();
    assertNull(cache.lookup(nextTurn), "forgotten after a clear");
    cache.retain(tokens(20, 100), 20, copies::add);
    assertEquals(List.of(5, 5), copies, "its slot is free again");
  }
}
