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

  private static ModelConfig shape(int dim, int layers, int heads, int kvHeads, int vocab) throws Exception {
    return io.chatserver.inference.model.family.Families.parse(new io.vertx.core.json.JsonObject().put("hidden_size", dim).put("intermediate_size", dim * 8 / 3)
        .put("num_hidden_layers", layers).put("num_attention_heads", heads).put("num_key_value_heads", kvHeads)
        .put("vocab_size", vocab), new io.vertx.core.json.JsonObject(), "config.json");
  }

  @Test
  void autoGivesBigModelsOneLanePerCoreThatDividesTheirKeyValueHeads() throws Exception {
    ai.djl.Device cpu = ai.djl.Device.cpu();
    assertEquals(1, Decoder.autoLanes(shape(64, 5, 8, 4, 512), cpu, 2), "stories260K is all op dispatch");
    assertEquals(2, Decoder.autoLanes(shape(768, 12, 12, 12, 32000), cpu, 2));
    assertEquals(1, Decoder.autoLanes(shape(768, 12, 12, 12, 32000), ai.djl.Device.gpu(), 2), "one lane on a GPU");
    assertEquals(4, Decoder.autoLanes(shape(2048, 16, 32, 4, 32000), cpu, 16), "at most the 4 key/value heads");
    assertEquals(8, Decoder.autoLanes(shape(2048, 16, 32, 32, 32000), cpu, 64), "at most 8");
    assertEquals(3, Decoder.lanesFor(shape(768, 12, 12, 3, 32000), 4), "the most that divide 3 heads");
  }
}
