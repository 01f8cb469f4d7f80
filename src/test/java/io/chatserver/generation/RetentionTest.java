package io.chatserver.generation;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Finished jobs are kept for resume within both bounds: a number and an age. */
class RetentionTest {

  @Test
  void theOldestGoFirstWhenThereAreTooMany() {
    List<String> forgotten = new ArrayList<>();
    Retention r = new Retention(60_000, 3, () -> 0);
    for (int i = 1; i <= 5; i++) {
      String key = "job-" + i;
      r.keep(key, () -> forgotten.add(key));
    }
    assertEquals(List.of("job-1", "job-2"), forgotten);
    assertEquals(3, r.size());
  }

  @Test
  void nothingIsKeptLongerThanTheRetentionTime() {
    AtomicLong now = new AtomicLong(1_000);
    List<String> forgotten = new ArrayList<>();
    Retention r = new Retention(10_000, 100, now::get);
    r.keep("a", () -> forgotten.add("a"));
    now.addAndGet(6_000);
    r.keep("b", () -> forgotten.add("b"));
    r.sweep();
    assertEquals(List.of(), forgotten);
    now.addAndGet(5_000); // a is 11 s old, b 5 s
    r.sweep();
    assertEquals(List.of("a"), forgotten);
    now.addAndGet(5_000);
    r.sweep();
    assertEquals(List.of("a", "b"), forgotten);
    assertEquals(0, r.size());
  }
}
