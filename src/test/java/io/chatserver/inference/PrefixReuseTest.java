package io.chatserver.inference;

import io.chatserver.Offline;
import io.chatserver.inference.engine.GenerationListener.Finish;
import io.chatserver.inference.engine.ModelRuntime;
import io.chatserver.inference.engine.SamplingParams;
import io.chatserver.inference.engine.SchedulerObserver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The next turn of a conversation reuses the cache of the previous one (kept in a spare slot):
 * the prefix is not computed again, and the answer is the same tokens as without reuse, alone
 * and in a batch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrefixReuseTest {

  private ModelRuntime runtime;
  private final AtomicInteger hits = new AtomicInteger();
  private final AtomicInteger reused = new AtomicInteger();

  /** The model's tensor-parallel lanes (0: auto, 1 for stories260K); {@link PrefixReuseLanesTest} runs every test with 2. */
  int lanes() {
    return 0;
  }

  @BeforeAll
  void load() throws Exception {
    Offline.enforce();
    runtime = ModelRuntime.load(new ModelRuntime.Spec("stories260k", SharedModels.stories260k(), "cpu", "float32", 4, 512,
        0, 16, 64, 2, lanes()), msg -> { });
    runtime.scheduler().observe(new SchedulerObserver() {
      @Override
      public void prefixQuery(boolean hit, int promptTokens, int reusedTokens) {
        if (hit) {
          hits.incrementAndGet();
          reused.addAndGet(reusedTokens);
        }
      }
    });
  }

  @AfterAll
  void close() {
    runtime.close();
  }

  private Finish run(long[] prompt, int tokens) {
    Collector c = new Collector();
    runtime.scheduler().submit("job-" + System.nanoTime(), prompt, SamplingParams.greedy(tokens), c);
    return c.await();
  }

  private static long[] concat(long[]... parts) {
    long[] out = new long[0];
    for (long[] p : parts) {
      int n = out.length;
      out = Arrays.copyOf(out, n + p.length);
      System.arraycopy(p, 0, out, n, p.length);
    }
    return out;
  }

  @Test
  void theNextTurnReusesThePreviousCacheAndAnswersTheSame() {
    long[] first = runtime.textPrompt("Tom and his friend Sam went to the big park near the river to play with a kite");
    Finish turn1 = run(first, 24);
    long[] answer = runtime.tokenizer().encode(turn1.text());
    // the next turn: the whole conversation so far, then more (answer ids re-encoded, as a chat template would)
    long[] next = concat(first, Arrays.copyOfRange(answer, 1, answer.length), Arrays.copyOfRange(
        runtime.textPrompt(" Then they went home and"), 1, runtime.textPrompt(" Then they went home and").length));

    runtime.scheduler().reusePrefixes(false);
    int before = hits.get();
    String without = run(next, 30).text();
    assertEquals(before, hits.get(), "reuse off: no hit");

    runtime.scheduler().reusePrefixes(true);
    int reusedBefore = reused.get();
    String with = run(next, 30).text();
    assertEquals(before + 1, hits.get(), "the next turn reused a kept prefix");
    assertTrue(reused.get() - reusedBefore >= first.length, "at least the first turn's prompt was not computed again: "
        + (reused.get() - reusedBefore));
    assertEquals(without, with, "the same tokens with and without reuse");

    // in a batch with others, still the same
    List<Collector> batch = new ArrayList<>();
    long[][] prompts = {next, runtime.textPrompt("Lily saw a cat"), runtime.textPrompt("The sun was hot and"),
        runtime.textPrompt("Once upon a time, there was a")};
    for (long[] p : prompts) {
      Collector c = new Collector();
      runtime.scheduler().submit("batch-" + batch.size(), p, SamplingParams.greedy(30), c);
      batch.add(c);
    }
    assertEquals(without, batch.get(0).await().text(), "the same tokens in a batch");
    batch.forEach(Collector::await);
  }

  @Test
  void shortOrUnrelatedPromptsAreNotReused() {
    int before = hits.get();
    run(runtime.textPrompt("A cat"), 4);
    run(runtime.textPrompt("Zog the dragon flew"), 4);
    assertEquals(before, hits.get());
  }
}
