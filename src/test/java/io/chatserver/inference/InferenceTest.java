package io.chatserver.inference;

import io.chatserver.Await;
import io.chatserver.bus.FinishReason;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.chatserver.Offline;
import io.chatserver.bus.InvalidField;
import io.chatserver.inference.engine.BatchScheduler;
import io.chatserver.inference.engine.GenerationListener.Finish;
import io.chatserver.inference.engine.ModelRuntime;
import io.chatserver.inference.engine.SamplingParams;
import io.chatserver.inference.model.Decoder;
import io.chatserver.inference.model.family.Checkpoints;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Correctness of the model, the batching scheduler and sampling, with the real shared weights. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferenceTest {

  /** The shared README's reference: greedy, 60 positions after BOS, no repetition penalty. */
  static final String REFERENCE = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
      + "One day, she saw a big, red ball. She wanted to play with it, but it was too high";
  static final String PROMPT = "Once upon a time";

  ModelRuntime runtime;

  /** The tensor-parallel lanes the model runs on (stories260K on "auto" gets 1; {@link InferenceLanesTest} uses 2). */
  int lanes() {
    return 0;
  }

  @BeforeAll
  void load() throws Exception {
    Offline.enforce();
    runtime = ModelRuntime.load(new ModelRuntime.Spec("stories260k", SharedModels.stories260k(), "cpu", "float32", 8, 512,
        0, 16, 64, 0, lanes()), msg -> { });
  }

  @AfterAll
  void close() {
    runtime.close();
  }

  private Finish generate(String prompt, SamplingParams params) {
    Collector c = new Collector();
    runtime.scheduler().submit("job-" + System.nanoTime(), runtime.textPrompt(prompt), params, c);
    Finish f = c.await();
    assertEquals(f.text(), c.streamed(), "the streamed deltas add up to the final text");
    return f;
  }

  @Test
  void tokenizerMatchesTheReferenceIds() {
    assertEquals(List.of(1L, 403L, 407L, 261L, 378L), toList(runtime.textPrompt(PROMPT)));
  }

  @Test
  void greedyReproducesTheReferenceText() {
    Finish f = generate(PROMPT, SamplingParams.greedy(56));
    assertEquals(REFERENCE, PROMPT + f.text());
    assertEquals(FinishReason.LENGTH, f.reason());
    assertEquals(5, f.promptTokens());
    assertEquals(56, f.completionTokens());
  }

  @Test
  void batchOfEightMixedLengthPromptsGivesTheSameTokensAsAlone() {
    List<String> prompts = List.of(PROMPT, "Tom had a dog", "The sun", "One day, a little bird flew over the big green hill and saw",
        "Lily", "Sam and Max went to the park to play with their red ball. They", "It was a cold", "Once upon a time, there was a");
    List<String> alone = new ArrayList<>();
    for (String p : prompts) {
      alone.add(generate(p, SamplingParams.greedy(40)).text());
    }
    List<Collector> together = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      Collector c = new Collector();
      runtime.scheduler().submit("batch-" + i, runtime.textPrompt(prompts.get(i)), SamplingParams.greedy(40), c);
      together.add(c);
    }
    for (int i = 0; i < prompts.size(); i++) {
      assertEquals(alone.get(i), together.get(i).await().text(), "prompt " + i + " in a batch of 8");
    }
    assertEquals(REFERENCE.substring(0, PROMPT.length() + alone.get(0).length()), PROMPT + alone.get(0));
  }

  @Test
  void incrementalDecodingMatchesFullRecompute() throws Exception {
    long[] ids = runtime.textPrompt(REFERENCE);
    int n = ids.length;
    try (Decoder m = Checkpoints.load(SharedModels.stories260k(), Device.cpu(), DataType.FLOAT32, 2, 512, 0,
        Math.max(1, lanes()), x -> { })) {
      float[] full;
      try (NDScope s = new NDScope()) {
        full = m.forward(ids, 0, 1, n, new int[] {0}, true).toFloatArray();
      }
      int vocab = m.config().vocabSize();
      double maxDiff = 0;
      for (int p = 0; p < n; p++) {
        try (NDScope s = new NDScope()) {
          float[] step = m.forward(new long[] {ids[p]}, 1, 1, 1, new int[] {p}, false).toFloatArray();
          for (int v = 0; v < vocab; v++) {
            maxDiff = Math.max(maxDiff, Math.abs(step[v] - full[p * vocab + v]));
          }
        }
      }
      assertTrue(maxDiff < 1e-3, "KV-cached logits differ from a full recompute by " + maxDiff);
    }
  }

  @Test
  void seededSamplingIsReproducibleAloneAndInABatch() {
    JsonObject opts = new JsonObject().put("temperature", 1.0).put("top_k", 40).put("top_p", 0.9).put("seed", 1234)
        .put("max_tokens", 40);
    String a = generate(PROMPT, SamplingParams.fromJson(opts)).text();
    String b = generate(PROMPT, SamplingParams.fromJson(opts)).text();
    assertEquals(a, b);
    String other = generate(PROMPT, SamplingParams.fromJson(opts.copy().put("seed", 99))).text();
    assertNotEquals(a, other, "another seed gives another story");
    // the same seed inside a batch with other work
    Collector noise = new Collector();
    runtime.scheduler().submit("noise", runtime.textPrompt("The dog"), SamplingParams.fromJson(opts.copy().put("seed", 7)), noise);
    assertEquals(a, generate(PROMPT, SamplingParams.fromJson(opts)).text());
    noise.await();
  }

  @Test
  void repeatPenaltyChangesGreedyOutput() {
    JsonObject opts = new JsonObject().put("temperature", 0).put("repeat_penalty", 1.5).put("repeat_last_n", 64)
        .put("max_tokens", 56);
    String penalised = generate(PROMPT, SamplingParams.fromJson(opts)).text();
    assertNotEquals(REFERENCE, PROMPT + penalised);
  }

  @Test
  void stopStringsEndTheTextBeforeThem() {
    SamplingParams p = SamplingParams.greedy(56).withStop(List.of("Lily"));
    Finish f = generate(PROMPT, p);
    assertEquals(FinishReason.STOP, f.reason());
    assertEquals(", there was a little girl named ", f.text());
  }

  @Test
  void cancelFreesTheSlotWithinOneStep() throws Exception {
    Collector c = new Collector();
    BatchScheduler s = runtime.scheduler();
    SamplingParams sampled = SamplingParams.fromJson(new JsonObject().put("temperature", 1.0).put("top_k", 40).put("top_p", 1.0)
        .put("min_p", 0.0).put("seed", 1).put("max_tokens", 480));
    s.submit("cancel-me", runtime.textPrompt(PROMPT), sampled, c);
    Await.until(() -> c.deltas.size() >= 5 || c.done.isDone(), "five deltas of the job to cancel");
    long stepsAtCancel = s.steps();
    s.cancel("cancel-me");
    Finish f = c.await();
    assertEquals(FinishReason.CANCELLED, f.reason());
    assertTrue(s.steps() - stepsAtCancel <= 1, "took " + (s.steps() - stepsAtCancel) + " steps to leave the batch");
    assertTrue(f.completionTokens() < 480);
    assertEquals(0, s.running());
    assertEquals(s.maxBatch(), s.freeSlots());
  }

  @Test
  void badRequestsAreRejectedClearly() {
    InvalidField e = assertThrows(InvalidField.class, () -> SamplingParams.fromJson(new JsonObject().put("temperature", -1)));
    assertEquals("options.temperature", e.field());
    e = assertThrows(InvalidField.class, () -> SamplingParams.fromJson(new JsonObject().put("top_p", 1.5)));
    assertEquals("options.top_p", e.field());
    long[] tooLong = new long[600];
    java.util.Arrays.fill(tooLong, 300);
    BatchScheduler.Rejected r = assertThrows(BatchScheduler.Rejected.class,
        () -> runtime.scheduler().submit("long", tooLong, SamplingParams.greedy(5), new Collector()));
    assertEquals("context_length_exceeded", r.code());
    assertTrue(r.getMessage().contains("600") && r.getMessage().contains("512"), r.getMessage());
  }

  @Test
  void chatPromptUsesThePlainTemplateAndTrimsOldTurns() {
    JsonArray messages = new JsonArray()
        .add(new JsonObject().put("role", "system").put("content", "You tell stories."))
        .add(new JsonObject().put("role", "user").put("content", "Tell me about a cat."));
    String rendered = runtime.template().render(messages, true);
    assertEquals("You tell stories.\n\nUser: Tell me about a cat.\nAssistant:", rendered);
    JsonArray longChat = messages.copy();
    for (int i = 0; i < 60; i++) {
      longChat.add(new JsonObject().put("role", i % 2 == 0 ? "assistant" : "user").put("content",
          "Once upon a time there was a little girl who loved to play in the park with her dog " + i));
    }
    long[] ids = runtime.chatPrompt(longChat, 64);
    assertTrue(ids.length + 64 <= 512, "trimmed to fit: " + ids.length);
    String text = runtime.tokenizer().decode(ids);
    assertTrue(text.startsWith("You tell stories."), "system prompt kept");
    assertTrue(text.contains("dog 59"), "last turn kept");
    assertFalse(text.contains("dog 0\n"), "oldest turn dropped");
  }

  private static List<Long> toList(long[] a) {
    List<Long> out = new ArrayList<>();
    for (long x : a) {
      out.add(x);
    }
    return out;
  }
}
