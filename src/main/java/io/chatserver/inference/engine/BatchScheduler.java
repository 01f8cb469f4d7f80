package io.chatserver.inference.engine;

import io.chatserver.bus.FinishReason;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.chatserver.inference.model.Decoder;
import io.chatserver.inference.model.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Iteration-level (continuous) batching on one model, on a thread of its own (never an event loop).
 * Each iteration: admit one waiting job into the staging slot and prefill one chunk of its prompt,
 * then run one decode step for every running sequence together. Finished or cancelled sequences
 * leave at once (their slot is refilled by compaction), new ones join at the next step, and a long
 * prompt stalls the running streams for at most one chunk per step. A finished sequence's cache can
 * be kept in a spare slot ({@link PrefixCache}) so that a later prompt that starts the same way
 * (the next turn of a chat) skips that part of its prefill. A {@link StepGate} paces the steps.
 */
public final class BatchScheduler implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BatchScheduler.class);

  private final String name;
  private final Decoder model;
  private final TextTokenizer tokenizer;
  private final Set<Long> eos;
  private final int prefillChunk;
  private final LinkedBlockingQueue<Sequence> incoming = new LinkedBlockingQueue<>();
  private final Set<String> cancels = ConcurrentHashMap.newKeySet();
  private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
  private final List<Sequence> running = new ArrayList<>();
  private final int maxQueue;
  private volatile Sequence staging;
  private volatile boolean stopped;
  private volatile long steps;
  private final Thread thread;
  /** Set by {@link #forgetPrefixes}; the scheduler thread empties the prefix cache at its next iteration. */
  private volatile boolean forget;
  /** Whether kept prefixes are reused (on in the server; the benchmark compares both ways). */
  private volatile boolean reuse = true;
  /** Paces the decode steps (always open in the server). */
  private volatile StepGate gate = StepGate.OPEN;
  private volatile SchedulerObserver observer = SchedulerObserver.NONE;
  /** Finished sequences kept for the prefix of a later prompt (null: no spare slots). */
  private final PrefixCache prefixes;

  public BatchScheduler(String name, Decoder model, TextTokenizer tokenizer, Set<Long> eos, int prefillChunk, int maxQueue) {
    this.name = name;
    this.model = model;
    this.tokenizer = tokenizer;
    this.eos = eos;
    this.prefillChunk = prefillChunk;
    this.maxQueue = maxQueue;
    this.prefixes = model.retainedSlots() > 0 ? new PrefixCache(model.stagingSlot() + 1, model.retainedSlots()) : null;
    this.thread = new Thread(this::loop, "scheduler-" + name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Who hears about the scheduler's work (metrics). */
  public void observe(SchedulerObserver observer) {
    this.observer = observer == null ? SchedulerObserver.NONE : observer;
  }

  /** Thrown by {@link #submit} for a request that can never run (the caller turns it into a 400/413). */
  public static final class Rejected extends RuntimeException {
    private final String code;

    public Rejected(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  /** Queues a job. Its prompt must leave room in the context for at least one generated token. */
  public void submit(String jobId, long[] prompt, SamplingParams params, GenerationListener listener) {
    submit(jobId, prompt, params, listener, null);
  }

  /** As above, its tokens kept inside {@code constraint}'s grammar when it is given (JSON output, forced tool calls). */
  public void submit(String jobId, long[] prompt, SamplingParams params, GenerationListener listener,
                     io.chatserver.inference.grammar.Constraint constraint) {
    if (stopped) {
      throw new Rejected("unavailable", "model " + name + " is shutting down");
    }
    if (prompt.length == 0) {
      throw new Rejected("invalid_prompt", "the prompt is empty");
    }
    if (prompt.length >= model.context()) {
      throw new Rejected("context_length_exceeded", "the prompt is " + prompt.length + " tokens; model " + name
          + " has a context of " + model.context() + " tokens (shorten it or start a new chat)");
    }
    if (incoming.size() + waiting.size() >= maxQueue) {
      throw new Rejected("queue_full", "model " + name + " has " + maxQueue + " jobs waiting; try again shortly");
    }
    Sequence seq = new Sequence(jobId, prompt, params, listener, new TextStream(tokenizer, prompt, params.stop(), params.keepSpecial()));
    seq.constraint = constraint;
    incoming.add(seq);
  }

  /** Asks for a job to stop; it leaves the batch before the next decoding step. */
  public void cancel(String jobId) {
    cancels.add(jobId);
    incoming.add(POKE);
  }

  private static final Sequence POKE = new Sequence("", new long[] {0}, SamplingParams.greedy(1), null, null);

  public int running() {
    return running.size() + (staging != null ? 1 : 0);
  }

  public int waiting() {
    return waiting.size() + incoming.size();
  }

  /** Batch slots free right now (what a router should look at). */
  public int freeSlots() {
    return Math.max(0, model.maxBatch() - running() - waiting());
  }

  public int maxBatch() {
    return model.maxBatch();
  }

  public long steps() {
    return steps;
  }

  /** Forgets every kept prefix (at the scheduler's next iteration, on its own thread). */
  public void forgetPrefixes() {
    forget = true;
  }

  /** Turns the reuse of kept prefixes on or off (for comparisons: answers must be the same either way). */
  public void reusePrefixes(boolean on) {
    this.reuse = on;
  }

  /** Sets what paces the decode steps (see {@link StepGate}). */
  public void gate(StepGate gate) {
    this.gate = gate == null ? StepGate.OPEN : gate;
  }

  private void loop() {
    while (!stopped) {
      try {
        iterate();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException | Error e) {
        log.error("Scheduler of {} failed a step; failing its running jobs", name, e);
        failAll("inference failed: " + e.getMessage());
      }
    }
  }

  private void iterate() throws InterruptedException {
    Sequence next = running.isEmpty() && staging == null && waiting.isEmpty()
        ? incoming.poll(200, TimeUnit.MILLISECONDS) : incoming.poll();
    while (next != null) {
      if (next != POKE) {
        waiting.add(next);
      }
      next = incoming.poll();
    }
    handleCancels();
    if (forget) {
      forget = false;
      if (prefixes != null) {
        prefixes.clear();
      }
    }
    // Prefill up to prefillChunk prompt tokens per iteration: several short prompts, or one chunk of a long one.
    int budget = prefillChunk;
    while (budget > 0) {
      if (staging == null && !waiting.isEmpty() && running.size() < model.maxBatch()) {
        staging = waiting.poll();
        observer.admitted(System.nanoTime() - staging.submittedNanos);
        if (prefixes != null && reuse) {
          PrefixCache.Hit hit = prefixes.lookup(staging.prompt);
          observer.prefixQuery(hit != null, staging.prompt.length, hit == null ? 0 : hit.length());
          if (hit != null) {
            model.moveSlot(hit.slot(), model.stagingSlot()); // its cache up to hit.length() is this prompt's
            staging.prefilled = hit.length();
            staging.cached = hit.length();
          }
        }
      }
      if (staging == null) {
        break;
      }
      budget -= prefillChunk(budget);
    }
    if (!running.isEmpty() && gate.mayStep(50)) {
      decodeStep();
    }
  }

  private void handleCancels() {
    if (cancels.isEmpty()) {
      return;
    }
    for (String id : List.copyOf(cancels)) {
      cancels.remove(id);
      waiting.removeIf(s -> {
        if (s.jobId.equals(id)) {
          finish(s, FinishReason.CANCELLED, null);
          return true;
        }
        return false;
      });
      if (staging != null && staging.jobId.equals(id)) {
        finish(staging, FinishReason.CANCELLED, null);
        staging = null;
      }
      for (int i = running.size() - 1; i >= 0; i--) {
        Sequence s = running.get(i);
        if (s.jobId.equals(id)) {
          removeRow(i);
          finish(s, FinishReason.CANCELLED, null);
        }
      }
    }
  }

  /** Prefills up to {@code budget} tokens of the staging sequence; returns how many. */
  private int prefillChunk(int budget) {
    Sequence s = staging;
    int len = Math.min(budget, s.prompt.length - s.prefilled);
    long[] chunk = Arrays.copyOfRange(s.prompt, s.prefilled, s.prefilled + len);
    long token;
    GenerationListener.Token info;
    try (NDScope scope = new NDScope()) {
      NDArray logits = model.forward(chunk, model.stagingSlot(), 1, len, new int[] {s.prefilled}, new int[] {s.prompt.length}, false);
      s.prefilled += len;
      s.cached = s.prefilled;
      if (s.prefilled < s.prompt.length) {
        return len;
      }
      token = Sampler.sample(model.manager(), constrained(logits, List.of(s)), List.of(s), model.config().vocabSize())[0];
      info = Sampler.logprobs(model.manager(), logits, List.of(s), new long[] {token})[0];
    }
    staging = null;
    int row = running.size();
    model.moveSlot(model.stagingSlot(), row);
    running.add(s);
    s.firstTokenNanos = System.nanoTime();
    observer.firstToken(s.firstTokenNanos - s.submittedNanos, s.prompt.length);
    FinishReason reason = accept(s, token, info);
    if (reason != null) {
      removeRow(row);
      finish(s, reason, null);
    }
    return len;
  }

  private void decodeStep() {
    int b = running.size();
    long[] last = new long[b];
    int[] pos = new int[b];
    for (int i = 0; i < b; i++) {
      Sequence s = running.get(i);
      last[i] = s.last();
      pos[i] = s.cached;
    }
    long[] next;
    GenerationListener.Token[] infos;
    long t0 = System.nanoTime();
    try (NDScope scope = new NDScope()) {
      NDArray logits = model.forward(last, 0, b, 1, pos, false);
      next = Sampler.sample(model.manager(), constrained(logits, running), running, model.config().vocabSize());
      infos = Sampler.logprobs(model.manager(), logits, running, next);
    }
    observer.step(b, System.nanoTime() - t0);
    steps++;
    List<Integer> done = new ArrayList<>();
    List<FinishReason> reasons = new ArrayList<>();
    for (int i = 0; i < b; i++) {
      Sequence s = running.get(i);
      s.cached++;
      FinishReason reason = accept(s, next[i], infos[i]);
      if (reason != null) {
        done.add(i);
        reasons.add(reason);
      }
    }
    List<Sequence> ended = new ArrayList<>();
    for (int i = done.size() - 1; i >= 0; i--) {
      Sequence s = running.get(done.get(i));
      ended.add(0, s);
      if (prefixes != null && reuse) {
        int row = done.get(i); // rows above it have been moved already; its own slot is intact
        prefixes.retain(s.tokens, s.cached, slot -> model.moveSlot(row, slot));
      }
      removeRow(done.get(i));
    }
    for (int i = 0; i < ended.size(); i++) {
      finish(ended.get(i), reasons.get(i), null);
    }
  }

  /**
   * The logits with each constrained row's grammar mask added (-infinity on the tokens its grammar
   * does not allow next); the same logits when no row is constrained.
   */
  private NDArray constrained(NDArray logits, List<Sequence> rows) {
    boolean any = false;
    for (Sequence r : rows) {
      any |= r.constraint != null;
    }
    if (!any) {
      return logits;
    }
    int vocab = model.config().vocabSize();
    float[] masks = new float[rows.size() * vocab];
    for (int i = 0; i < rows.size(); i++) {
      Sequence r = rows.get(i);
      if (r.constraint != null) {
        System.arraycopy(r.constraint.mask(r.params.maxTokens() - r.generated), 0, masks, i * vocab, vocab);
      }
    }
    return logits.add(model.manager().create(masks, new ai.djl.ndarray.types.Shape(rows.size(), vocab)));
  }

  /** Takes a sampled token; returns the finish reason when the sequence is done, else null. */
  private FinishReason accept(Sequence s, long token, GenerationListener.Token info) {
    if (s.constraint != null) {
      s.constraint.accept(token);
    }
    if (eos.contains(token) && !s.params.ignoreEos()) {
      return FinishReason.STOP;
    }
    if (info != null) {
      s.listener.onToken(info);
    }
    s.append(token);
    s.generated++;
    String delta = s.text.push(token);
    if (!delta.isEmpty()) {
      s.listener.onDelta(delta);
    }
    if (s.text.stopped()) {
      return FinishReason.STOP;
    }
    if (s.generated >= s.params.maxTokens() || s.cached + 1 >= model.context()) {
      return FinishReason.LENGTH;
    }
    return null;
  }

  private void finish(Sequence s, FinishReason reason, String error) {
    String tail = s.text.finish();
    if (!tail.isEmpty() && error == null) {
      s.listener.onDelta(tail);
    }
    long now = System.nanoTime();
    long ttft = s.firstTokenNanos == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(s.firstTokenNanos - s.submittedNanos);
    double seconds = s.firstTokenNanos == 0 ? 0 : (now - s.firstTokenNanos) / 1e9;
    double tps = seconds > 0 && s.generated > 1 ? (s.generated - 1) / seconds : 0;
    try {
      observer.finished(reason, s.generated, now - s.submittedNanos);
    } catch (RuntimeException e) {
      log.warn("Metrics of job {} failed: {}", s.jobId, e.toString());
    }
    try {
      s.listener.onFinish(new GenerationListener.Finish(reason, s.text.text(), s.prompt.length, s.generated, ttft, tps, error));
    } catch (RuntimeException e) {
      log.warn("Listener of job {} failed: {}", s.jobId, e.toString());
    }
  }

  /** Removes row i, moving the last row into its slot so the running rows stay contiguous. */
  private void removeRow(int i) {
    int last = running.size() - 1;
    if (i != last) {
      model.moveSlot(last, i);
      running.set(i, running.get(last));
    }
    running.remove(last);
  }

  private void failAll(String message) {
    List<Sequence> all = new ArrayList<>(running);
    running.clear();
    for (Sequence s : all) {
      finish(s, FinishReason.ERROR, message);
    }
    if (staging != null) {
      finish(staging, FinishReason.ERROR, message);
      staging = null;
    }
  }

  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    failAll("the worker is shutting down");
    for (Sequence s : waiting) {
      finish(s, FinishReason.ERROR, "the worker is shutting down");
    }
    waiting.clear();
  }
}
