package io.chatserver.inference.tools;

import io.chatserver.Offline;
import io.chatserver.inference.engine.ModelRuntime;
import io.chatserver.inference.model.Llama2cImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** The jar's model tool commands. */
public final class Commands {

  private Commands() {}

  @Command(name = "import-llama2c", description = "Convert a llama2.c checkpoint + tokenizer into a Hugging Face model folder.")
  public static final class ImportLlama2c implements Callable<Integer> {
    @Parameters(index = "0", description = "llama2.c checkpoint (e.g. stories260K.bin)")
    Path checkpoint;
    @Parameters(index = "1", description = "llama2.c tokenizer (e.g. tok512.bin)")
    Path tokenizer;
    @Parameters(index = "2", description = "output folder (put it under the models directory to serve it)")
    Path out;

    @Override
    public Integer call() throws Exception {
      Llama2cImporter.convert(checkpoint, tokenizer, out);
      System.out.println("wrote " + out + " (config.json, model.safetensors, tokenizer.json, tokenizer_config.json)");
      return 0;
    }
  }

  @Command(name = "random-model", description = "Write a RANDOM-weight Llama model of a realistic shape, for speed work only.")
  public static final class RandomModelCmd implements Callable<Integer> {
    @Parameters(index = "0", description = "output folder, or a file ending in .gguf (one float32 GGUF file, llama.cpp's layout)")
    Path out;
    @Option(names = "--dim", defaultValue = "288") int dim;
    @Option(names = "--hidden", defaultValue = "768") int hidden;
    @Option(names = "--layers", defaultValue = "6") int layers;
    @Option(names = "--heads", defaultValue = "6") int heads;
    @Option(names = "--kv-heads", defaultValue = "6") int kvHeads;
    @Option(names = "--vocab", defaultValue = "32000") int vocab;
    @Option(names = "--context", defaultValue = "1024") int context;
    @Option(names = "--seed", defaultValue = "42") long seed;

    @Override
    public Integer call() throws Exception {
      System.out.printf("writing a random %d-dim %d-layer model (vocab %d) to %s ...%n", dim, layers, vocab, out);
      RandomModel.write(out, dim, hidden, layers, heads, kvHeads, vocab, context, seed);
      System.out.println("done (random weights: for measuring speed, not for text)");
      return 0;
    }
  }

  @Command(name = "pull", description = "Download a Hugging Face model repository (safetensors + tokenizer), or one GGUF file of"
      + " a repository, into the models folder.")
  public static final class Pull implements Callable<Integer> {
    @Parameters(index = "0", description = "repository (e.g. TinyLlama/TinyLlama-1.1B-Chat-v1.0), or a GGUF file's URL on the hub")
    String repo;
    @Option(names = "--revision", defaultValue = "main") String revision;
    @Option(names = "--file", description = "a GGUF file of the repository (e.g. qwen2.5-0.5b-instruct-q4_k_m.gguf)") String file;
    @Option(names = "--dir", description = "models folder (default: DATA_DIR/models or ./data/models)") Path dir;
    @Option(names = "--name", description = "model name (default: the repository's or GGUF file's name, lower-cased)") String name;

    @Override
    public Integer call() throws Exception {
      String endpoint = System.getenv().getOrDefault("HF_ENDPOINT", "https://huggingface.co");
      Path base = dir != null ? dir : Path.of(System.getenv().getOrDefault("DATA_DIR", "./data"), "models");
      if (repo.startsWith("http://") || repo.startsWith("https://")) {
        io.chatserver.bus.HubFiles.HubFile f = io.chatserver.bus.HubFiles.parseUrl(repo);
        repo = f.repo();
        revision = f.revision();
        file = f.file();
      }
      ModelPull pull = new ModelPull(endpoint, System.getenv("HF_TOKEN"), System.err);
      String model;
      if (file != null) {
        String stem = file.substring(file.lastIndexOf('/') + 1, file.length() - ".gguf".length());
        model = name != null ? name : stem.toLowerCase().replaceAll("[^a-z0-9_.-]", "-");
        pull.pullFile(repo, revision, file, base.resolve(model + ".gguf"));
      } else {
        model = name != null ? name : repo.substring(repo.indexOf('/') + 1).toLowerCase();
        pull.pull(repo, revision, base.resolve(model));
      }
      System.out.println("restart the server to serve it as model '" + model + "'");
      return 0;
    }
  }

  @Command(name = "check", description = "Load a model (a Hugging Face folder or a GGUF file) as the server would, run one"
      + " prompt, and report its family, the weights' bytes, the load time and the peak memory (RSS).")
  public static final class Check implements Callable<Integer> {
    @Parameters(index = "0", description = "model folder or .gguf file") Path path;
    @Option(names = "--prompt", defaultValue = "Hello") String prompt;
    @Option(names = "--context", defaultValue = "512") int context;
    @Option(names = "--lanes", defaultValue = "1") int lanes;
    @Option(names = "--dtype", defaultValue = "float32",
        description = "weights: float32, bfloat16, int8 or auto (what the server picks on this machine)") String dtype;

    @Override
    public Integer call() throws Exception {
      io.chatserver.Offline.enforce();
      long onDisk = java.nio.file.Files.isDirectory(path)
          ? java.nio.file.Files.list(path).filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length()).sum()
          : path.toFile().length();
      long t0 = System.nanoTime();
      try (io.chatserver.inference.model.family.Checkpoints.Checkpoint ck = io.chatserver.inference.model.family.Checkpoints.open(path, true);
           io.chatserver.inference.model.TextTokenizer tok = ck.tokenizer()) {
        io.chatserver.inference.model.ModelConfig cfg = ck.config();
        System.err.printf("%s: %s, %d layers, hidden %d, %d/%d heads, vocab %d%n", path, cfg.modelType(), cfg.layers(),
            cfg.hiddenSize(), cfg.heads(), cfg.kvHeads(), cfg.vocabSize());
        ai.djl.ndarray.types.DataType type = io.chatserver.inference.engine.ModelRuntime.dtype(dtype, ai.djl.Device.cpu(), cfg);
        try (io.chatserver.inference.model.Decoder m = ck.load(ai.djl.Device.cpu(), type, 1, context, 0,
            lanes, n -> System.err.printf("\rloading: layer %d/%d (RSS %d MB)", n, cfg.layers(), InferenceBenchmark.rssMb()))) {
          double seconds = (System.nanoTime() - t0) / 1e9;
          System.gc(); // as the server does after a load
          long loadedRss = InferenceBenchmark.rssMb();
          long params = cfg.matmulParams() + (cfg.tiedEmbeddings() ? 0 : (long) cfg.vocabSize() * cfg.hiddenSize());
          long[] ids = tok.encode(prompt);
          long next;
          try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            next = m.forward(ids, m.stagingSlot(), 1, ids.length, new int[] {0}, false).argMax(-1).toLongArray()[0];
          }
          System.err.println();
          System.out.printf("loaded in %.1f s; weights: %.0f MB on disk, %.0f MB as float32 (%d M parameters in the matrices),"
              + " %d MiB as loaded (%s); RSS %d MiB after load (%.2fx), peak %d MiB (%.2fx); %d prompt tokens, next token %d %s%n",
              seconds, onDisk / 1e6, params * 4 / 1e6, params / 1_000_000, m.weightBytes() >> 20, m.weightType(), loadedRss,
              loadedRss / (double) (m.weightBytes() >> 20), peakRssMb(), peakRssMb() / (double) (m.weightBytes() >> 20), ids.length, next,
              JsonObject.of("text", tok.decode(new long[] {next}, false)).encode());
          System.out.printf("RSS now: %d MiB of the process's own memory (the Java heap's %d MiB, native tensors), %d MiB of"
              + " mapped files (the JVM's and libtorch's code)%n", InferenceBenchmark.statusMb("RssAnon:"), Runtime.getRuntime().totalMemory() >> 20,
              InferenceBenchmark.statusMb("RssFile:"));
        }
      }
      return 0;
    }
  }

  /** The process's peak resident memory (VmHWM) in MiB, or -1 where /proc is not there. */
  static long peakRssMb() {
    return InferenceBenchmark.statusMb("VmHWM:");
  }

  @Command(name = "bench-grammar", description = "Tokens/s of N streams without and with a JSON Schema grammar on the same model,"
      + " in one run (the grammar's masks are the difference).")
  public static final class BenchGrammar implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "name=path of a model folder or GGUF file") String model;
    @Option(names = "--streams", defaultValue = "16") int streams;
    @Option(names = "--tokens", defaultValue = "64") int tokens;
    @Option(names = "--rounds", defaultValue = "3") int rounds;
    @Option(names = "--schema", description = "a JSON Schema file (default: an object with a list of strings and a number)") Path schema;

    @Override
    public Integer call() throws Exception {
      io.chatserver.Offline.enforce();
      String[] nv = model.split("=", 2);
      JsonObject grammar = new JsonObject().put("type", "json_schema").put("schema", schema != null
          ? new JsonObject(java.nio.file.Files.readString(schema))
          : new JsonObject("{\"type\":\"object\",\"properties\":{\"notes\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
              + "\"score\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":100}},\"required\":[\"notes\",\"score\"]}"));
      ModelRuntime.Spec spec = new ModelRuntime.Spec(nv[0], Path.of(nv[1]), "cpu", "float32", streams, 512, 0, 64, 1024, 0);
      try (ModelRuntime rt = ModelRuntime.load(spec, System.err::println)) {
        System.out.printf("model %s (vocab %d), %d streams x %d tokens%n", nv[0], rt.model().config().vocabSize(), streams, tokens);
        double[] free = new double[rounds];
        double[] json = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          free[r] = run(rt, null, r);
          json[r] = run(rt, grammar, r);
          System.out.printf("round %d: unconstrained %.1f tok/s, JSON Schema %.1f tok/s (%.0f %%)%n", r + 1, free[r], json[r],
              100 * json[r] / free[r]);
        }
        double f = Arrays.stream(free).sorted().toArray()[rounds / 2];
        double j = Arrays.stream(json).sorted().toArray()[rounds / 2];
        System.out.printf("median: unconstrained %.1f tok/s, JSON Schema %.1f tok/s: %.0f %% (target >= 80 %%)%n", f, j, 100 * j / f);
      }
      return 0;
    }

    /** Aggregate tokens/s of the streams (each its own seed, so the JSON differs), with the grammar when given. */
    private double run(ModelRuntime rt, JsonObject grammar, int round) throws Exception {
      java.util.List<java.util.concurrent.CompletableFuture<io.chatserver.inference.engine.GenerationListener.Finish>> done = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int i = 0; i < streams; i++) {
        java.util.concurrent.CompletableFuture<io.chatserver.inference.engine.GenerationListener.Finish> f = new java.util.concurrent.CompletableFuture<>();
        done.add(f);
        io.chatserver.inference.engine.SamplingParams p = new io.chatserver.inference.engine.SamplingParams(1.0, 0, 1, 0, 1, 0,
            round * 1000L + i, tokens, java.util.List.of()).withLogprobs(-1, grammar == null);
        rt.scheduler().submit("grammar-bench-" + i, rt.textPrompt("Answer in JSON."), p, new io.chatserver.inference.engine.GenerationListener() {
          @Override
          public void onDelta(String text) {
          }

          @Override
          public void onFinish(Finish finish) {
            f.complete(finish);
          }
        }, grammar == null ? null : rt.constraint(grammar));
      }
      long generated = 0;
      for (var f : done) {
        generated += f.get(30, java.util.concurrent.TimeUnit.MINUTES).completionTokens();
      }
      return generated / ((System.nanoTime() - t0) / 1e9);
    }
  }

  @Command(name = "bench", description = "Inference benchmark: tokens/s, TTFT and peak RSS, batched vs sequential.")
  public static final class Bench implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "name=path of a Hugging Face model folder (repeatable)")
    List<String> models = new ArrayList<>();
    @Option(names = "--streams", defaultValue = "1,4,16,32") String streams;
    @Option(names = "--tokens", defaultValue = "128", description = "tokens generated per stream") int tokens;
    @Option(names = "--max-batch", defaultValue = "32") int maxBatch;
    @Option(names = "--context", defaultValue = "512") int context;
    @Option(names = "--dtype", defaultValue = "auto",
        description = "weights: auto (bfloat16 on a CPU with AVX-512 BF16 or AMX for a big model, else float32), float32, bfloat16")
    String dtype;
    @Option(names = "--modes", defaultValue = "batched,sequential",
        description = "batched (continuous batching up to --max-batch), sequential (one at a time), or both") String modes;
    @Option(names = "--out", defaultValue = "benchmarks/results") Path out;
    @Option(names = "--lanes", defaultValue = "0",
        description = "tensor-parallel lanes (threads) per model; 0: auto, one per core for a big model") int lanes;
    @Option(names = "--prefix-history", defaultValue = "0",
        description = "also measure prefix reuse: a next turn after this many tokens of history (0: not)") int prefixHistory;
    @Option(names = "--ttft-prompt", defaultValue = "0",
        description = "also measure the time to first token of one prompt of this many tokens (0: not)") int ttftPrompt;

    @Override
    public Integer call() throws Exception {
      Offline.enforce();
      List<ModelRuntime.Spec> specs = new ArrayList<>();
      for (String m : models) {
        String[] kv = m.split("=", 2);
        specs.add(new ModelRuntime.Spec(kv[0], Path.of(kv[1]), "auto", dtype, maxBatch, context, 0, 64, 100_000, 0, lanes));
      }
      int[] n = Arrays.stream(streams.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
      InferenceBenchmark bench = new InferenceBenchmark(System.out);
      if (prefixHistory > 0) {
        for (ModelRuntime.Spec spec : specs) {
          bench.prefixTurns(spec, prefixHistory);
        }
        return 0;
      }
      bench.report(bench.run(specs, n, tokens, maxBatch, Arrays.stream(modes.split(",")).map(String::trim).toList()), out);
      if (ttftPrompt > 0) {
        for (ModelRuntime.Spec spec : specs) {
          bench.ttftMs(new ModelRuntime.Spec(spec.name(), spec.path(), spec.device(), spec.dtype(), 1, Math.max(spec.contextLength(),
              ttftPrompt + 8), 0, 512, 100_000, 0, spec.lanes()), ttftPrompt);
        }
      }
      return 0;
    }
  }
}
