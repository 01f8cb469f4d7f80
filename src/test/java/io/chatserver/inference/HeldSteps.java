package io.chatserver.inference;

import io.chatserver.inference.engine.BatchScheduler;
import io.chatserver.inference.engine.StepGate;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler's decode steps, held by a test so that nothing it checks depends on the machine's
 * speed: while held, running answers make no step until {@link #release} lets some through
 * (prefill, admission and cancels go on, so a held answer has its first token and can be stopped).
 */
public final class HeldSteps implements StepGate {

  private static final Map<BatchScheduler, HeldSteps> GATES = new WeakHashMap<>();

  private final Semaphore permits = new Semaphore(0);
  private volatile boolean held;

  private HeldSteps() {}

  /** The scheduler's held-steps gate (installed on first use; open until {@link #hold}). */
  public static synchronized HeldSteps of(BatchScheduler scheduler) {
    return GATES.computeIfAbsent(scheduler, s -> {
      HeldSteps h = new HeldSteps();
      s.gate(h);
      return h;
    });
  }

  public void hold() {
    held = true;
  }

  /** Lets {@code steps} more decode steps run while held. */
  public void release(int steps) {
    permits.release(steps);
  }

  /** Ends the hold: decoding runs freely again. */
  public void resume() {
    held = false;
    permits.drainPermits();
  }

  @Override
  public boolean mayStep(long waitMs) throws InterruptedException {
    return !held || permits.tryAcquire(waitMs, TimeUnit.MILLISECONDS);
  }
}
