package io.chatserver.inference.model;

import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * A fixed team of threads that run the shards of one piece of work side by side: shard 0 on the
 * calling thread, shard i on helper thread i. This is how a decode step uses every core: PyTorch
 * multiplies a row by a matrix on one core (measured: 16 GB/s of weights against the 39 GB/s two
 * cores read), so the model is split into shards, tensor-parallel, and each core multiplies its own.
 *
 * <p>A step hands work over about twice per layer, so a waiting thread spins for its next shard
 * (a hand-over then costs well under a microsecond) for {@link #BUSY_NANOS}, then yields its core
 * to any other thread that wants it (the server's event loops share these cores) while it keeps
 * checking, and a helper parks after {@link #SPIN_NANOS} without work so that an idle model
 * costs no CPU.
 */
final class Lanes implements AutoCloseable {

  /** How long an idle helper keeps checking for work before it parks. */
  static final long SPIN_NANOS = 2_000_000;
  /** How long a waiting thread spins before it starts yielding between checks. */
  static final long BUSY_NANOS = 20_000;

  private final Helper[] helpers;

  Lanes(int count, String name) {
    if (count < 1) {
      throw new IllegalArgumentException("lanes must be at least 1, not " + count);
    }
    helpers = new Helper[count - 1];
    for (int i = 0; i < helpers.length; i++) {
      helpers[i] = new Helper(i + 1);
      Thread t = new Thread(helpers[i], name + "-lane-" + (i + 1));
      t.setDaemon(true);
      helpers[i].thread = t;
      t.start();
    }
  }

  int count() {
    return helpers.length + 1;
  }

  /**
   * Runs {@code work} for every shard, shard 0 on this thread, and returns the results by shard
   * once all have finished. The first failure is thrown (after every shard has finished).
   */
  Object[] map(IntFunction<?> work) {
    Object[] results = new Object[count()];
    for (Helper h : helpers) {
      h.post(work);
    }
    RuntimeException failure = null;
    try {
      results[0] = work.apply(0);
    } catch (RuntimeException e) {
      failure = e;
    }
    for (Helper h : helpers) {
      h.awaitDone();
      if (h.error != null && failure == null) {
        failure = h.error instanceof RuntimeException r ? r : new IllegalStateException(h.error);
      }
      results[h.shard] = h.result;
      h.result = null;
      h.error = null;
    }
    if (failure != null) {
      throw failure;
    }
    return results;
  }

  @Override
  public void close() {
    for (Helper h : helpers) {
      h.stopped = true;
      LockSupport.unpark(h.thread);
    }
  }

  /** Spins, then yields, while a wait that has lasted {@code waited} is short; false once it has lasted {@link #SPIN_NANOS}. */
  private static boolean waitBriefly(long waited) {
    if (waited < BUSY_NANOS) {
      Thread.onSpinWait();
      return true;
    }
    if (waited < SPIN_NANOS) {
      Thread.yield();
      return true;
    }
    return false;
  }

  private static final class Helper implements Runnable {
    final int shard;
    Thread thread;
    volatile IntFunction<?> task;
    volatile boolean parked;
    volatile boolean stopped;
    /** Written by the helper before it clears {@link #task}; read by the caller after it sees it cleared. */
    Object result;
    Throwable error;

    Helper(int shard) {
      this.shard = shard;
    }

    void post(IntFunction<?> work) {
      task = work;
      if (parked) {
        LockSupport.unpark(thread);
      }
    }

    void awaitDone() {
      long start = System.nanoTime();
      while (task != null) {
        if (!waitBriefly(System.nanoTime() - start)) {
          LockSupport.parkNanos(20_000); // a long shard (a big prefill): stop burning the core
        }
      }
    }

    @Override
    public void run() {
      long idleSince = System.nanoTime();
      while (!stopped) {
        IntFunction<?> t = task;
        if (t == null) {
          if (!waitBriefly(System.nanoTime() - idleSince)) {
            parked = true;
            if (task == null && !stopped) {
              LockSupport.park(this);
            }
            parked = false;
          }
          continue;
        }
        try {
          result = t.apply(shard);
        } catch (Throwable e) {
          error = e;
        }
        task = null;
        idleSince = System.nanoTime();
      }
    }
  }
}
