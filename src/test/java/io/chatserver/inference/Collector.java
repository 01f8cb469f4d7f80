package io.chatserver.inference;

import io.chatserver.inference.engine.GenerationListener;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Records what a job streams. */
public final class Collector implements GenerationListener {

  public final List<String> deltas = new CopyOnWriteArrayList<>();
  public final CompletableFuture<Finish> done = new CompletableFuture<>();

  @Override
  public void onDelta(String text) {
    deltas.add(text);
  }

  @Override
  public void onFinish(Finish finish) {
    done.complete(finish);
  }

  public Finish await() {
    try {
      return done.get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("generation did not finish: " + e, e);
    }
  }

  public String streamed() {
    return String.join("", deltas);
  }
}
