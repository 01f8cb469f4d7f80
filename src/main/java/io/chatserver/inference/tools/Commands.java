package io.chatserver.inference.tools;

import io.chatserver.Offline;
import io.chatserver.inference.engine.ModelRuntime;
import io.chatserver.inference.model.Llama2cImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
    @Parameters(index = "0", description = "output folder")
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

  @Command(name = "bench", description = "Inference benchmark: tokens/s, TTFT and peak RSS, batched vs sequential.")
  public static final class Bench implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "name=path of a Hugging Face model folder (repeatable)")
    List<String> models = new ArrayList<>();
    @Option(names = "--streams", defaultValue = "1,4,16,32") String streams;
    @Option(names = "--tokens", defaultValue = "128", description = "tokens generated per stream") int tokens;
    @Option(names = "--max-batch", defaultValue = "32") int maxBatch;
    @Option(names = "--context", defaultValue = "512") int context;
    @Option(names = "--out", defaultValue = "benchmarks/results") Path out;
    @Option(names = "--lanes", defaultValue = "0",
        description = "tensor-parallel lanes (threads) per model; 0: auto, one per core for a big model") int lanes;
    @Option(names = "--prefix-history", defaultValue = "0",
        description = "also measure prefix reuse: a next turn after this many tokens of history (0: not)") int prefixHistory;

    @Override
    public Integer call() throws Exception {
      Offline.enforce();
      List<ModelRuntime.Spec> specs = new ArrayList<>();
      for (String m : models) {
        String[] kv = m.split("=", 2);
        specs.add(new ModelRuntime.Spec(kv[0], Path.of(kv[1]), "auto", "auto", maxBatch, context, 0, 64, 100_000, 0, lanes));
      }
      int[] n = Arrays.stream(streams.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
      InferenceBenchmark bench = new InferenceBenchmark(System.out);
      if (prefixHistory > 0) {
        for (ModelRuntime.Spec spec : specs) {
          bench.prefixTurns(spec, prefixHistory);
        }
        return 0;
      }
      bench.report(bench.run(specs, n, tokens, maxBatch), out);
      return 0;
    }
  }
}
