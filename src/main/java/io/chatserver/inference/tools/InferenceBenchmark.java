package io.chatserver.inference.tools;

import io.chatserver.inference.engine.GenerationListener;
import io.chatserver.inference.engine.ModelRuntime;
import io.chatserver.inference.engine.SamplingParams;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the inference engine: for each model, with batching on and off (sequential), at each
 * number of concurrent streams: aggregate and per-stream tokens/s, time to first token p50/p99, and
 * peak RSS. Prints a table and writes CSV and JSON.
 */
public final class InferenceBenchmark {

  /** One measured configuration. */
  public record Row(String model, boolean random, String mode, int streams, int tokens, double seconds, double aggregateTps,
                    double perStreamTps, long ttftP50, long ttftP99, long peakRssMb, double stepMs, double floorMs) {
    /** How close a decode step came to the machine's floor for it (100 = at the limit). */
    public double percentOfFloor() {
      return stepMs > 0 ? 100 * floorMs / stepMs : 0;
    }
  }

  /**
   * The machine's own limits, measured in the same process through the same PyTorch engine: how
   * fast it reads memory (a 256 MB float32 sum) and how fast it multiplies (a 2048^3 float32 GEMM).
   */
  public record Limits(double bytesPerSecond, double flopsPerSecond) {}

  public static Limits measureLimits(PrintStream out) {
    out.println("measuring this machine's limits through the engine (memory bandwidth with every core reading, float32 GEMM) ...");
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu())) {
      // every core sums its own part of 256 MB at once (one thread each, as the lanes run): what the machine can read
      int cores = Runtime.getRuntime().availableProcessors();
      long per = (64L << 20) / cores;
      ai.djl.ndarray.NDArray[] parts = new ai.djl.ndarray.NDArray[cores];
      for (int i = 0; i < cores; i++) {
        parts[i] = m.ones(new ai.djl.ndarray.types.Shape(per));
      }
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(cores);
      long best = Long.MAX_VALUE;
      long bestOne = Long.MAX_VALUE;
      try {
        for (int round = 0; round < 8; round++) {
          long t0 = System.nanoTime();
          List<java.util.concurrent.Future<?>> running = new ArrayList<>();
          for (ai.djl.ndarray.NDArray part : parts) {
            running.add(pool.submit(() -> {
              try (ai.djl.ndarray.NDArray sum = part.sum()) {
                sum.getFloat();
              }
            }));
          }
          for (java.util.concurrent.Future<?> f : running) {
            f.get();
          }
          best = Math.min(best, System.nanoTime() - t0);
          long t1 = System.nanoTime();
          try (ai.djl.ndarray.NDArray sum = parts[0].sum()) {
            sum.getFloat();
          }
          bestOne = Math.min(bestOne, System.nanoTime() - t1);
        }
      } catch (Exception e) {
        throw new IllegalStateException("the bandwidth probe failed", e);
      } finally {
        pool.shutdownNow();
      }
      double bw = per * cores * 4.0 / (best / 1e9);
      out.printf("  memory read: %.1f GB/s with %d cores reading (one core alone: %.1f GB/s)%n", bw / 1e9, cores,
          per * 4.0 / (bestOne / 1e9) / 1e9);
      int n = 2048;
      ai.djl.ndarray.NDArray a = m.randomUniform(0, 1, new ai.djl.ndarray.types.Shape(n, n));
      long bestGemm;
      ai.djl.ndarray.NDArray b = m.randomUniform(0, 1, new ai.djl.ndarray.types.Shape(n, n));
      bestGemm = Long.MAX_VALUE;
      for (int i = 0; i < 4; i++) {
        long t0 = System.nanoTime();
        try (ai.djl.ndarray.NDArray c = a.matMul(b)) {
          c.getFloat(0, 0);
        }
        bestGemm = Math.min(bestGemm, System.nanoTime() - t0);
      }
      double flops = 2.0 * n * n * n / (bestGemm / 1e9);
      out.printf("  float32 GEMM: %.1f GFLOP/s%n", flops / 1e9);
      return new Limits(bw, flops);
    }
  }

  /** The floor of one decode step of {@code batch} rows: reading the weights once, or doing their FLOPs, whichever is slower. */
  static double floorMs(io.chatserver.inference.model.ModelConfig c, int bytesPerParam, int batch, Limits limits) {
    long params = c.matmulParams();
    double read = params * (double) bytesPerParam / limits.bytesPerSecond();
    double compute = 2.0 * params * batch / limits.flopsPerSecond();
    return 1000 * Math.max(read, compute);
  }

  private Limits limits;

  private static final String[] PROMPTS = {
      "Once upon a time", "The little dog ran to the park and", "One day, a girl named Lily found a shiny",
      "Tom and his friend", "In a small town there lived an old man who", "The sun was", "A big red ball rolled down the",
      "Mia wanted to"};

  private final PrintStream out;

  public InferenceBenchmark(PrintStream out) {
    this.out = out;
  }

  /** Measures each model in the given modes: "batched" (continuous batching up to {@code maxBatch}), "sequential". */
  public List<Row> run(List<ModelRuntime.Spec> models, int[] streams, int tokens, int maxBatch, List<String> modes) {
    limits = measureLimits(out);
    List<Row> rows = new ArrayList<>();
    for (ModelRuntime.Spec base : models) {
      boolean random = isRandom(base.path());
      for (String mode : modes) {
        int batch = mode.equals("batched") ? maxBatch : 1;
        ModelRuntime.Spec spec = new ModelRuntime.Spec(base.name(), base.path(), base.device(), base.dtype(), batch,
            base.contextLength(), 0, base.prefillChunk(), 100_000, 0, base.lanes());
        try (ModelRuntime rt = ModelRuntime.load(spec, msg -> out.println("  " + msg))) {
          out.printf("  weights as held: %d MiB (%s)%n", rt.model().weightBytes() >> 20, rt.model().weightType());
          measure(rt, 1, 200, 1); // warm-up: the JIT settles over a few hundred steps
          for (int n : streams) {
            out.printf("  %s, %s, %d stream(s) x %d tokens ...%n", base.name(), mode, n, tokens);
            int rowsPerStep = mode.equals("batched") ? Math.min(n, maxBatch) : 1;
            Row r = measure(rt, n, tokens, rowsPerStep);
            double floor = floorMs(rt.model().config(), rt.model().bytesPerParam(), rowsPerStep, limits);
            r = new Row(base.name(), random, mode, n, tokens, r.seconds(), r.aggregateTps(), r.perStreamTps(), r.ttftP50(),
                r.ttftP99(), r.peakRssMb(), r.stepMs(), floor);
            rows.add(r);
            out.printf("    %.1f tok/s aggregate, %.1f tok/s per stream, TTFT p50 %d ms p99 %d ms, peak RSS %d MB; "
                    + "decode step %.2f ms, floor %.2f ms (%.0f %% of the machine's limit)%n",
                r.aggregateTps(), r.perStreamTps(), r.ttftP50(), r.ttftP99(), r.peakRssMb(), r.stepMs(), r.floorMs(),
                r.percentOfFloor());
          }
        } catch (IOException e) {
          throw new IllegalStateException("cannot load " + base.path() + ": " + e.getMessage(), e);
        }
      }
    }
    return rows;
  }

  /**
   * Runs {@code n} streams of {@code tokens} tokens; the decode step reported is the median of the
   * scheduler's own timings (forward pass and sampling) of the steps that ran {@code rowsPerStep}
   * rows, the batch its roofline floor is computed for.
   */
  private Row measure(ModelRuntime rt, int n, int tokens, int rowsPerStep) {
    List<Long> stepNanos = java.util.Collections.synchronizedList(new ArrayList<>());
    rt.scheduler().observe(new io.chatserver.inference.engine.SchedulerObserver() {
      @Override
      public void step(int batch, long nanos) {
        if (batch == rowsPerStep) {
          stepNanos.add(nanos);
        }
      }
    });
    AtomicLong peak = new AtomicLong(rssMb());
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        peak.accumulateAndGet(rssMb(), Math::max);
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sampler.setDaemon(true);
    sampler.start();
    List<CompletableFuture<GenerationListener.Finish>> done = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      CompletableFuture<GenerationListener.Finish> f = new CompletableFuture<>();
      done.add(f);
      rt.scheduler().submit("bench-" + i, rt.textPrompt(PROMPTS[i % PROMPTS.length]), SamplingParams.greedy(tokens),
          new GenerationListener() {
            @Override
            public void onDelta(String text) {
            }

            @Override
            public void onFinish(Finish finish) {
              f.complete(finish);
            }
          });
    }
    long generated = 0;
    long[] ttft = new long[n];
    double perStream = 0;
    for (int i = 0; i < n; i++) {
      GenerationListener.Finish f;
      try {
        f = done.get(i).get(30, TimeUnit.MINUTES);
      } catch (Exception e) {
        throw new IllegalStateException("benchmark job did not finish", e);
      }
      generated += f.completionTokens();
      ttft[i] = f.ttftMs();
      perStream += f.tokensPerSecond();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    sampler.interrupt();
    rt.scheduler().observe(null);
    Arrays.sort(ttft);
    long[] steps = stepNanos.stream().mapToLong(Long::longValue).sorted().toArray();
    double stepMs = steps.length == 0 ? 0 : percentile(steps, 50) / 1e6;
    return new Row(rt.name(), false, "", n, tokens, seconds, generated / seconds, perStream / n, percentile(ttft, 50),
        percentile(ttft, 99), peak.get(), stepMs, 0);
  }

  static long percentile(long[] sorted, int p) {
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  /** The process's resident memory now, in MiB (-1 where /proc is not there). */
  static long rssMb() {
    return statusMb("VmRSS:");
  }

  /** A field of /proc/self/status in MiB (VmRSS, VmHWM, RssAnon, RssFile ...), or -1 where it is not there. */
  static long statusMb(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  static boolean isRandom(Path dir) {
    if (dir.getFileName() != null && dir.getFileName().toString().endsWith(".gguf")) {
      try (io.chatserver.inference.model.gguf.GgufFile g = io.chatserver.inference.model.gguf.GgufFile.open(dir)) {
        return "random-weights".equals(g.metadata().get("general.name"));
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }
    try {
      return new JsonObject(Files.readString(dir.resolve("config.json"))).getBoolean("random_weights", false);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Prefix reuse: the time to first token of a chat's next turn with a long history (about
   * {@code history} tokens), with the previous turn's cache reused and without, on the same loaded
   * model; and whether the answers are the same tokens.
   */
  public void prefixTurns(ModelRuntime.Spec base, int history) throws IOException {
    int context = Math.min(base.contextLength(), history + 128);
    ModelRuntime.Spec spec = new ModelRuntime.Spec(base.name(), base.path(), base.device(), base.dtype(), 4, context, 0,
        base.prefillChunk(), 1000, 2, base.lanes());
    try (ModelRuntime rt = ModelRuntime.load(spec, msg -> out.println("  " + msg))) {
      long[] para = rt.textPrompt("Once upon a time, there was a little girl named Lily. She loved to play outside in the park "
          + "with her friends, and every day she found something new to look at under the big old trees.");
      long[] conv = new long[Math.min(history, rt.model().context() - 96)]; // room for the answer and the next message
      conv[0] = para[0];
      for (int i = 1; i < conv.length; i++) {
        conv[i] = para[1 + (i - 1) % (para.length - 1)];
      }
      long[] more = java.util.Arrays.copyOfRange(para, 1, 11);
      double[] ttft = new double[2];
      String[] text = new String[2];
      for (int pass = 0; pass < 3; pass++) { // the first pass warms both paths up
        for (int mode = 0; mode < 2; mode++) {
          rt.scheduler().reusePrefixes(mode == 1);
          GenerationListener.Finish previous = generate(rt, conv, 16);
          long[] answer = rt.tokenizer().encode(previous.text());
          long[] next = java.util.Arrays.copyOf(conv, conv.length + answer.length - 1 + more.length);
          System.arraycopy(answer, 1, next, conv.length, answer.length - 1);
          System.arraycopy(more, 0, next, conv.length + answer.length - 1, more.length);
          long t0 = System.nanoTime();
          GenerationListener.Finish f = generate(rt, next, 16);
          if (pass > 0) {
            ttft[mode] += f.ttftMs() > 0 ? f.ttftMs() : (System.nanoTime() - t0) / 1e6;
            text[mode] = f.text();
          }
        }
      }
      out.printf("%s: next turn after %d tokens of history: time to first token %.0f ms without reuse, %.0f ms with "
              + "(%.1fx lower; target >= 3x); same tokens: %s%n", base.name(), conv.length, ttft[0] / 2, ttft[1] / 2,
          ttft[0] / Math.max(1, ttft[1]), text[0].equals(text[1]) ? "yes" : "NO");
    }
  }

  /**
   * Time to first token of one prompt of {@code promptTokens} tokens on an idle model (the median of
   * three, after a warm-up), in ms: its prefill, chunk by chunk, and the first decode.
   */
  public double ttftMs(ModelRuntime.Spec spec, int promptTokens) {
    try (ModelRuntime rt = ModelRuntime.load(spec, msg -> { })) {
      long vocab = rt.model().config().vocabSize();
      long[] prompt = new long[promptTokens];
      java.util.SplittableRandom random = new java.util.SplittableRandom(7);
      for (int i = 0; i < prompt.length; i++) {
        prompt[i] = 3 + random.nextLong(Math.max(1, Math.min(vocab, 30_000) - 3));
      }
      generate(rt, prompt, 1);
      long[] t = new long[3];
      for (int i = 0; i < t.length; i++) {
        prompt[0] = 3 + i; // a new prompt each time: nothing comes from a kept prefix
        t[i] = generate(rt, prompt, 1).ttftMs();
      }
      Arrays.sort(t);
      out.printf("  %s: time to first token for a %d-token prompt: %d ms (median of 3)%n", spec.name(), promptTokens, t[1]);
      return t[1];
    } catch (IOException e) {
      throw new IllegalStateException("cannot load " + spec.path() + ": " + e.getMessage(), e);
    }
  }

  private static GenerationListener.Finish generate(ModelRuntime rt, long[] prompt, int tokens) {
    CompletableFuture<GenerationListener.Finish> f = new CompletableFuture<>();
    rt.scheduler().submit("prefix-" + System.nanoTime(), prompt, SamplingParams.greedy(tokens), new GenerationListener() {
      @Override
      public void onDelta(String text) {
      }

      @Override
      public void onFinish(Finish finish) {
        f.complete(finish);
      }
    });
    try {
      return f.get(30, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("benchmark job did not finish", e);
    }
  }

  /** Prints the table and writes results.csv and results.json into {@code dir}. */
  public void report(List<Row> rows, Path dir) throws IOException {
    Files.createDirectories(dir);
    StringBuilder csv = new StringBuilder("model,weights,mode,streams,tokens_per_stream,seconds,aggregate_tok_s,per_stream_tok_s,"
        + "ttft_p50_ms,ttft_p99_ms,peak_rss_mb,step_ms,floor_ms,percent_of_floor\n");
    JsonArray json = new JsonArray();
    out.println();
    if (limits != null) {
      out.printf("machine: memory read %.1f GB/s, float32 GEMM %.1f GFLOP/s (measured in this run)%n", limits.bytesPerSecond() / 1e9,
          limits.flopsPerSecond() / 1e9);
    }
    out.printf("%-22s %-7s %-10s %7s %12s %12s %9s %9s %9s %9s %9s %7s%n", "model", "weights", "mode", "streams", "agg tok/s",
        "tok/s/strm", "ttft p50", "ttft p99", "RSS MB", "step ms", "floor ms", "% floor");
    for (Row r : rows) {
      String weights = r.random() ? "RANDOM" : "real";
      out.printf("%-22s %-7s %-10s %7d %12.1f %12.1f %9d %9d %9d %9.2f %9.2f %6.0f%%%n", r.model(), weights, r.mode(),
          r.streams(), r.aggregateTps(), r.perStreamTps(), r.ttftP50(), r.ttftP99(), r.peakRssMb(), r.stepMs(), r.floorMs(),
          r.percentOfFloor());
      csv.append(String.format("%s,%s,%s,%d,%d,%.3f,%.2f,%.2f,%d,%d,%d,%.3f,%.3f,%.1f%n", r.model(), weights, r.mode(),
          r.streams(), r.tokens(), r.seconds(), r.aggregateTps(), r.perStreamTps(), r.ttftP50(), r.ttftP99(), r.peakRssMb(),
          r.stepMs(), r.floorMs(), r.percentOfFloor()));
      json.add(JsonObject.mapFrom(r).put("weights", weights).put("percentOfFloor", r.percentOfFloor()));
    }
    for (Row one : rows) {
      if (one.mode().equals("batched") && one.streams() == 1) {
        rows.stream().filter(r -> r.model().equals(one.model()) && r.mode().equals("batched") && r.streams() == 16)
            .findFirst().ifPresent(r16 -> out.printf("%s: 16 streams give %.1fx the aggregate tokens/s of one stream%n",
                one.model(), r16.aggregateTps() / one.aggregateTps()));
      }
    }
    out.println("(models marked RANDOM have random weights of a realistic shape: their speed is real, their text is noise)");
    Files.writeString(dir.resolve("results.csv"), csv);
    Files.writeString(dir.resolve("results.json"), json.encodePrettily());
    out.println("wrote " + dir.resolve("results.csv") + " and " + dir.resolve("results.json"));
  }
}
