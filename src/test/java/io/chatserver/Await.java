package io.chatserver;

import java.util.function.BooleanSupplier;

/** Waits for a condition the server reaches by itself (a heartbeat, a reload), failing with what was awaited. */
public final class Await {

  private Await() {}

  public static void until(BooleanSupplier check, String what) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (!check.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }
}
