package io.chatserver.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.chatserver.Offline;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The KV cache grows with its longest sequence and keeps what it holds; the end-to-end check is FamiliesTest's long greedy runs. */
class KvCacheTest {

  @BeforeAll
  static void offline() {
    Offline.enforce();
  }

  @Test
  void growingKeepsEveryPositionAndStopsAtTheContext() {
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
      int slots = 2;
      int kvHeads = 1;
      int headDim = 2;
      int context = 300;
      KvCache cache = new KvCache(m, 1, slots, kvHeads, context, headDim, DataType.FLOAT32);
      assertEquals(KvCache.GROWTH, cache.capacity(), "it starts small");
      // slot 1, position 5: keys (3, 4), values (30, 40)
      write(m, cache, 1, 5, new float[] {3, 4}, new float[] {30, 40});
      try (NDScope step = new NDScope()) {
        cache.ensure(KvCache.GROWTH + 1); // inside a step's scope, as forward calls it
      }
      assertEquals(2 * KvCache.GROWTH, cache.capacity(), "it at least doubles, in whole steps");
      write(m, cache, 0, 200, new float[] {7, 8}, new float[] {70, 80});
      cache.ensure(context + 50);
      assertEquals(context, cache.capacity(), "never past the context");
      try (NDScope step = new NDScope()) {
        KvCache.Step all = KvCache.Step.of(m.create(new long[] {0}), m.create(new long[] {0}), 0, slots, context);
        float[] k = cache.keysTransposed(0, all).toFloatArray();   // [slots, kvHeads, headDim, context]
        float[] v = cache.values(0, all).toFloatArray();           // [slots, kvHeads, context, headDim]
        assertArrayEquals(new float[] {3, 4}, new float[] {k[(slots - 1) * headDim * context + 5],
            k[(slots - 1) * headDim * context + context + 5]}, "the keys written before both growths");
        assertArrayEquals(new float[] {30, 40}, new float[] {v[(context + 5) * headDim], v[(context + 5) * headDim + 1]});
        assertArrayEquals(new float[] {70, 80}, new float[] {v[200 * headDim], v[200 * headDim + 1]});
        float sum = 0;
        for (float x : v) {
          sum += x;
        }
        assertEquals(30 + 40 + 70 + 80, sum, "every other position is zero");
      }
    }
  }

  private static void write(NDManager m, KvCache cache, int slot, int position, float[] key, float[] value) {
    try (NDScope step = new NDScope()) {
      KvCache.Step s = KvCache.Step.of(m.create(new long[] {slot}), m.create(new long[] {position}), slot, 1, position + 1);
      cache.write(0, s, m.create(key, new Shape(1, 1, key.length)), m.create(value, new Shape(1, 1, value.length)));
    }
  }
}
