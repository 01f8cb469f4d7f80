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
                    double perStreamTps, long ttftP50, long ttftP99, long peakRssMb) {}

  private static final String[] PROMPTS = {
      "Once upon a time", "The little dog ran to the park and", "One day, a girl named Lily found a shiny",
      "Tom and his friend", "In a small town there lived an old man who", "The sun was", "A big red ball rolled down the",
      "Mia wanted to"};

  private final PrintStream out;

  public InferenceBenchmark(PrintStream out) {
    this.out = out;
  }

  public List<Row> run(List<ModelRuntime.Spec> models, int[] streams, int tokens, int maxBatch) {
    List<Row> rows = new ArrayList<>();
    for (ModelRuntime.Spec base : models) {
      boolean random = isRandom(base.path());
      for (String mode : List.of("batched", "sequential")) {
        int batch = mode.equals("batched") ? maxBatch : 1;
        ModelRuntime.Spec spec = new ModelRuntime.Spec(base.name(), base.path(), base.device(), base.dtype(), batch,
            base.contextLength(), 0, base.prefillChunk(), 100_000);
        try (ModelRuntime rt = ModelRuntime.load(spec, msg -> out.println("  " + msg))) {
          measure(rt, 1, 4); // warm-up
          for (int n : streams) {
            out.printf("  %s, %s, %d stream(s) x %d tokens ...%n", base.name(), mode, n, tokens);
            Row r = measure(rt, n, tokens);
            r = new Row(base.name(), random, mode, n, tokens, r.seconds(), r.aggregateTps(), r.perStreamTps(), r.ttftP50(),
                r.ttftP99(), r.peakRssMb());
            rows.add(r);
            out.printf("    %.1f tok/s aggregate, %.1f tok/s per stream, TTFT p50 %d ms p99 %d ms, peak RSS %d MB%n",
                r.aggregateTps(), r.perStreamTps(), r.ttftP50(), r.ttftP99(), r.peakRssMb());
          }
        } catch (IOException e) {
          throw new IllegalStateException("cannot load " + base.path() + ": " + e.getMessage(), e);
        }
      }
    }
    return rows;
  }

  private Row measure(ModelRuntime rt, int n, int tokens) {
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
    Arrays.sort(ttft);
    return new Row(rt.name(), false, "", n, tokens, seconds, generated / seconds, perStream / n, percentile(ttft, 50),
        percentile(ttft, 99), peak.get());
  }

  static long percentile(long[] sorted, int p) {
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  static long rssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  static boolean isRandom(Path dir) {
    try {
      return new JsonObject(Files.readString(dir.resolve("config.json"))).getBoolean("random_weights", false);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Prints the table and writes results.csv and results.json into {@code dir}. */
  public void report(List<Row> rows, Path dir) throws IOException {
    Files.createDirectories(dir);
    StringBuilder csv = new StringBuilder(
        "model,weights,mode,streams,tokens_per_stream,seconds,aggregate_tok_s,per_stream_tok_s,ttft_p50_ms,ttft_p99_ms,peak_rss_mb\n");
    JsonArray json = new JsonArray();
    out.println();
    out.printf("%-22s %-7s %-10s %7s %12s %12s %9s %9s %9s%n", "model", "weights", "mode", "streams", "agg tok/s",
        "tok/s/strm", "ttft p50", "ttft p99", "RSS MB");
    for (Row r : rows) {
      String weights = r.random() ? "RANDOM" : "real";
      out.printf("%-22s %-7s %-10s %7d %12.1f %12.1f %9d %9d %9d%n", r.model(), weights, r.mode(), r.streams(),
          r.aggregateTps(), r.perStreamTps(), r.ttftP50(), r.ttftP99(), r.peakRssMb());
      csv.append(String.format("%s,%s,%s,%d,%d,%.3f,%.2f,%.2f,%d,%d,%d%n", r.model(), weights, r.mode(), r.streams(), r.tokens(),
          r.seconds(), r.aggregateTps(), r.perStreamTps(), r.ttftP50(), r.ttftP99(), r.peakRssMb()));
      json.add(JsonObject.mapFrom(r).put("weights", weights));
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
