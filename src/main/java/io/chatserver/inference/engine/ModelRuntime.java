package io.chatserver.inference.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import io.chatserver.inference.model.ChatTemplate;
import io.chatserver.inference.model.Decoder;
import io.chatserver.inference.model.ModelConfig;
import io.chatserver.inference.model.TextTokenizer;
import io.chatserver.inference.model.family.Checkpoints;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** One loaded model: weights on their device, tokenizer, chat template and the scheduler serving it. */
public final class ModelRuntime implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ModelRuntime.class);

  /** How a model is configured ({@code conf/config.json: models.list[]}). */
  public record Spec(String name, Path path, String device, String dtype, int maxBatch, int contextLength,
                     long kvCacheBytes, int prefillChunk, int maxQueue, int prefixSlots, int lanes, boolean ggufRopeFreqs) {

    public Spec(String name, Path path, String device, String dtype, int maxBatch, int contextLength, long kvCacheBytes,
                int prefillChunk, int maxQueue, int prefixSlots, int lanes) {
      this(name, path, device, dtype, maxBatch, contextLength, kvCacheBytes, prefillChunk, maxQueue, prefixSlots, lanes, true);
    }

    /** A spec whose lanes are chosen for the machine ({@code lanes: "auto"}). */
    public Spec(String name, Path path, String device, String dtype, int maxBatch, int contextLength, long kvCacheBytes,
                int prefillChunk, int maxQueue, int prefixSlots) {
      this(name, path, device, dtype, maxBatch, contextLength, kvCacheBytes, prefillChunk, maxQueue, prefixSlots, 0);
    }

    /** A spec with no prefix reuse (the benchmarks' engine runs). */
    public Spec(String name, Path path, String device, String dtype, int maxBatch, int contextLength, long kvCacheBytes,
                int prefillChunk, int maxQueue) {
      this(name, path, device, dtype, maxBatch, contextLength, kvCacheBytes, prefillChunk, maxQueue, 0);
    }

    public static Spec fromJson(JsonObject o, Path baseDir) {
      String name = o.getString("name");
      String path = o.getString("path");
      if (name == null || path == null) {
        throw new IllegalArgumentException("each entry of models.list needs a name and a path: " + o.encode());
      }
      Path p = Path.of(path);
      return new Spec(name, p.isAbsolute() ? p : baseDir.resolve(p).normalize(), o.getString("device", "auto"),
          o.getString("dtype", "auto"), o.getInteger("maxBatch", 16), o.getInteger("contextLength", 2048),
          o.getLong("kvCacheBytes", 0L), o.getInteger("prefillChunk", 64), o.getInteger("maxQueue", 256),
          o.getInteger("prefixCacheSlots", 2), lanes(o.getValue("lanes", "auto")), o.getBoolean("ggufRopeFreqs", true));
    }

    /** {@code "auto"} (0: one per core for a big model on a CPU) or a number of lanes (also as text, from the environment). */
    static int lanes(Object v) {
      if (v instanceof Number n && n.intValue() >= 1) {
        return n.intValue();
      }
      if ("auto".equals(v)) {
        return 0;
      }
      if (v instanceof String s && s.matches("[1-9][0-9]{0,2}")) {
        return Integer.parseInt(s);
      }
      throw new IllegalArgumentException("lanes must be \"auto\" or a positive number, not " + v);
    }

  }

  private final Spec spec;
  private final Decoder model;
  private final TextTokenizer tokenizer;
  private final ChatTemplate template;
  private final BatchScheduler scheduler;
  private final String deviceName;
  private final Set<Long> eos;
  private volatile io.chatserver.inference.grammar.TokenBytes tokenBytes;
  /** How the model's template writes tool calls, or null when it has none. */
  private final io.chatserver.inference.toolcall.ToolFormat toolFormat;

  private ModelRuntime(Spec spec, Decoder model, TextTokenizer tokenizer, ChatTemplate template,
                       BatchScheduler scheduler, String deviceName, Set<Long> eos) {
    this.eos = Set.copyOf(eos);
    this.toolFormat = io.chatserver.inference.toolcall.ToolFormat.of(template.isPlain() ? null : template.source());
    this.spec = spec;
    this.model = model;
    this.tokenizer = tokenizer;
    this.template = template;
    this.scheduler = scheduler;
    this.deviceName = deviceName;
  }

  /** Loads the model (blocking); {@code progress} hears human-readable steps. */
  public static ModelRuntime load(Spec spec, Consumer<String> progress) throws IOException {
    Path dir = spec.path();
    try (Checkpoints.Checkpoint ck = Checkpoints.open(dir, spec.ggufRopeFreqs())) {
      ModelConfig cfg = ck.config();
      Device device = device(spec.device());
      DataType dtype = dtype(spec.dtype(), device, cfg);
      int context = Math.min(spec.contextLength(), cfg.maxPositions());
      // on the CPU the cache is float32 whatever the weights are
      int maxBatch = batchForBudget(spec, cfg, context, device.isGpu() ? dtype : DataType.FLOAT32);
      int lanes = spec.lanes() > 0 ? Decoder.lanesFor(cfg, spec.lanes())
          : Decoder.autoLanes(cfg, device, Runtime.getRuntime().availableProcessors());
      if (lanes > 1) {
        // Each lane multiplies on its own core: PyTorch's own threads would only contend with the lanes.
        ai.djl.pytorch.jni.JniUtils.setNumThreads(Math.max(1, Runtime.getRuntime().availableProcessors() / lanes));
      }
      progress.accept(String.format("loading %s (%s) from %s on %s (%s, %d layers, batch %d, context %d, %d lane%s)",
          spec.name(), cfg.modelType(), dir, device, dtype, cfg.layers(), maxBatch, context, lanes, lanes == 1 ? "" : "s"));
      TextTokenizer tok = ck.tokenizer();
      try {
        Decoder model = ck.load(device, dtype, maxBatch, context, Math.max(0, spec.prefixSlots()), lanes,
            n -> progress.accept(String.format("loading %s: layer %d/%d", spec.name(), n, cfg.layers())));
        // the load's Java garbage (the tokenizer's and the file header's, the 16 MB read buffer) goes before serving,
        // not whenever the collector next runs (a full collection also shrinks the heap)
        System.gc();
        Set<Long> eos = new HashSet<>();
        cfg.eosIds().forEach(id -> eos.add(id.longValue()));
        String eosText = tok.eosText();
        if (eosText != null && tok.singleTokenId(eosText) != null) {
          eos.add(tok.singleTokenId(eosText));
        }
        BatchScheduler scheduler = new BatchScheduler(spec.name(), model, tok, eos, spec.prefillChunk(), spec.maxQueue());
        ModelRuntime rt = new ModelRuntime(spec, model, tok, ChatTemplate.of(tok), scheduler, device.toString(), eos);
        progress.accept("warming up " + spec.name());
        long t0 = System.nanoTime();
        rt.warmUp();
        progress.accept(String.format("warmed up %s in %d ms", spec.name(), (System.nanoTime() - t0) / 1_000_000));
        return rt;
      } catch (IOException | RuntimeException e) {
        tok.close();
        throw e;
      }
    }
  }

  /**
   * Runs a few short greedy generations, alone and batched, before the model serves anyone: the
   * JIT compiles the scheduler's and the model's Java paths and the allocators fill their caches
   * now, not during the first users' answers (measured: the first answer ran at half speed).
   * What it leaves in the KV cache is never read (a new sequence writes its own positions first).
   */
  void warmUp() {
    for (int batch : new int[] {1, Math.min(4, model.maxBatch())}) {
      java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(batch);
      for (int i = 0; i < batch; i++) {
        scheduler.submit("warm-up-" + batch + "-" + i, tokenizer.encode("Once upon a time"), SamplingParams.greedy(16),
            new GenerationListener() {
              @Override
              public void onDelta(String text) {
              }

              @Override
              public void onFinish(Finish finish) {
                done.countDown();
              }
            });
      }
      try {
        if (!done.await(120, java.util.concurrent.TimeUnit.SECONDS)) {
          return; // a very slow machine: serve anyway
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** "auto" is the first GPU when PyTorch sees one, else the CPU; "cuda", "cuda:N", "gpu" and "cpu" are explicit. */
  static Device device(String name) {
    String n = name == null ? "auto" : name.toLowerCase();
    int gpus = Engine.getEngine("PyTorch").getGpuCount();
    if (n.equals("auto")) {
      return gpus > 0 ? Device.gpu() : Device.cpu();
    }
    if (n.equals("cpu")) {
      return Device.cpu();
    }
    if (n.startsWith("cuda") || n.startsWith("gpu")) {
      int id = n.contains(":") ? Integer.parseInt(n.substring(n.indexOf(':') + 1)) : 0;
      if (id >= gpus) {
        throw new IllegalArgumentException(noGpu(name, gpus));
      }
      return Device.gpu(id);
    }
    throw new IllegalArgumentException("unknown device '" + name + "' (auto, cpu, cuda, cuda:N)");
  }

  /** Why a GPU device cannot be used, and the two ways to make it work. */
  static String noGpu(String name, int gpus) {
    String loaded = "PyTorch " + Engine.getEngine("PyTorch").getVersion();
    return "device " + name + " was asked for, but the PyTorch native library loaded (" + loaded + ") sees " + gpus
        + " GPU(s)" + (gpus == 0 ? " (it is a CPU-only build, the one the jar ships)" : "") + ". To use a GPU, either point "
        + "PYTORCH_LIBRARY_PATH at an unpacked CUDA build of libtorch (with PYTORCH_VERSION, e.g. 2.7.1, and PYTORCH_FLAVOR, "
        + "e.g. cu128), or set MODEL_ALLOW_NATIVE_DOWNLOAD=true once to let DJL download its matching CUDA native "
        + "(with PYTORCH_FLAVOR); see the README's GPU section";
  }

  /**
   * The weights' type. "auto" is float16 on a GPU; on the CPU it is bfloat16 (weights only: the
   * activations and the KV cache stay float32, see {@code TorchOps}) for a model big enough that
   * reading its weights is the cost of a step ({@link #AUTO_BF16_PARAMS}), where the CPU multiplies bfloat16 natively
   * (AVX-512 BF16 or AMX), and float32 otherwise (small models, and the tests' fixtures, which
   * are compared with transformers' float32 logits). float16 on the CPU falls back to float32
   * (measured 14-40x slower there).
   */
  public static DataType dtype(String name, Device device, ModelConfig cfg) {
    String n = name == null ? "auto" : name.toLowerCase();
    DataType wanted = switch (n) {
      case "auto" -> device.isGpu() ? DataType.FLOAT16
          : cfg.matmulParams() >= AUTO_BF16_PARAMS && cpuHasBf16() ? DataType.BFLOAT16 : DataType.FLOAT32;
      case "float32", "fp32" -> DataType.FLOAT32;
      case "float16", "fp16", "half" -> DataType.FLOAT16;
      case "bfloat16", "bf16" -> DataType.BFLOAT16;
      case "int8" -> DataType.INT8;
      default -> throw new IllegalArgumentException("unknown dtype '" + name + "' (auto, float32, float16, bfloat16, int8)");
    };
    if (!device.isGpu() && wanted == DataType.FLOAT16) {
      log.warn("dtype {} asked for on the CPU; using float32 there", name);
      return DataType.FLOAT32;
    }
    return wanted;
  }

  /** From this many weights (256 MB as float32) "auto" on a CPU with bfloat16 hardware loads bfloat16 weights. */
  static final long AUTO_BF16_PARAMS = 64L << 20;

  /** Whether this CPU multiplies bfloat16 in hardware (Linux: a flag in /proc/cpuinfo). */
  static boolean cpuHasBf16() {
    try {
      String info = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo"));
      return info.contains(" avx512_bf16") || info.contains(" amx_bf16");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Fits the batch to the KV-cache budget (batch + 1 slots, the extra one for prefill). */
  static int batchForBudget(Spec spec, ModelConfig cfg, int context, DataType cacheType) {
    if (spec.kvCacheBytes() <= 0) {
      return spec.maxBatch();
    }
    long perSlot = 2L * cfg.layers() * cfg.kvHeads() * context * cfg.headDim() * cacheType.getNumOfBytes();
    long slots = spec.kvCacheBytes() / perSlot;
    if (slots < 2) {
      throw new IllegalArgumentException("kvCacheBytes " + spec.kvCacheBytes() + " of model " + spec.name()
          + " holds less than two sequences of " + context + " tokens (" + perSlot + " bytes each)");
    }
    return (int) Math.max(1, Math.min(spec.maxBatch(), slots - 1 - Math.max(0, spec.prefixSlots())));
  }

  public String name() {
    return spec.name();
  }

  public Spec spec() {
    return spec;
  }

  public Decoder model() {
    return model;
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  public ChatTemplate template() {
    return template;
  }

  public BatchScheduler scheduler() {
    return scheduler;
  }

  /** How the model's template writes tool calls, or null when it shows none. */
  public io.chatserver.inference.toolcall.ToolFormat toolFormat() {
    return toolFormat;
  }

  /** Forgets the kept prefixes and the compiled grammars (see {@code InferenceService.clearCaches}). */
  public void clearCaches() {
    scheduler.forgetPrefixes();
    grammars.clear();
  }

  /** Grammars compiled for this model's vocabulary, by their JSON text (shared by every answer that follows one). */
  private final java.util.Map<String, io.chatserver.inference.grammar.Constraint.Compiled> grammars =
      java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, io.chatserver.inference.grammar.Constraint.Compiled> e) {
          return size() > 64;
        }
      });

  /** A constraint for one answer, its grammar compiled once per distinct grammar (unsupported schemas throw). */
  public io.chatserver.inference.grammar.Constraint constraint(JsonObject grammar) throws IOException {
    String key = grammar.encode();
    io.chatserver.inference.grammar.Constraint.Compiled c = grammars.get(key);
    if (c == null) {
      c = new io.chatserver.inference.grammar.Constraint.Compiled(io.chatserver.inference.grammar.Grammars.of(grammar, toolFormat),
          tokenBytes());
      grammars.put(key, c);
    }
    return new io.chatserver.inference.grammar.Constraint(c);
  }

  /** The bytes each token writes, for grammars (read from the tokenizer once, on first use). */
  public io.chatserver.inference.grammar.TokenBytes tokenBytes() throws IOException {
    io.chatserver.inference.grammar.TokenBytes t = tokenBytes;
    if (t == null) {
      synchronized (this) {
        if (tokenBytes == null) {
          tokenBytes = io.chatserver.inference.grammar.TokenBytes.of(tokenizer.json(), model.config().vocabSize(), eos);
        }
        t = tokenBytes;
      }
    }
    return t;
  }

  /** Stop strings the model's template implies (the plain template's "\nUser:"). */
  public List<String> templateStops() {
    return template.isPlain() ? ChatTemplate.PLAIN_STOPS : List.of();
  }

  /**
   * The prompt for a conversation. When it does not fit the context with room for the answer, the
   * oldest turns are dropped (system messages and the last message are kept).
   */
  public long[] chatPrompt(JsonArray messages, int answerRoom) {
    return chatPrompt(messages, null, null, answerRoom, null);
  }

  /**
   * As above, with the tools the model may call and extra template variables
   * ({@code chat_template_kwargs}), continuing a partial assistant answer ({@code assistantPrefix})
   * when given. The rendered text carries its special tokens, so none are added (as
   * transformers' apply_chat_template tokenizes); the plain template of a base model gets BOS.
   */
  public long[] chatPrompt(JsonArray messages, JsonArray tools, JsonObject kwargs, int answerRoom, String assistantPrefix) {
    JsonArray kept = messages.copy();
    int room = Math.max(1, Math.min(answerRoom, model.context() / 4));
    while (true) {
      String text = template.render(kept, tools, true, kwargs);
      if (assistantPrefix != null && !assistantPrefix.isEmpty()) {
        text += (template.isPlain() ? " " : "") + assistantPrefix;
      }
      long[] ids = tokenizer.encode(text, template.isPlain());
      if (ids.length + room <= model.context()) {
        return ids;
      }
      int drop = -1;
      for (int i = 0; i < kept.size() - 1; i++) {
        if (!"system".equals(kept.getJsonObject(i).getString("role"))) {
          drop = i;
          break;
        }
      }
      if (drop < 0) {
        return ids; // only system + last message left: the scheduler reports the length
      }
      kept.remove(drop);
    }
  }

  /** The chat template's rendering, as /tokenize shows it. */
  public String renderChat(JsonArray messages, JsonArray tools, boolean addGenerationPrompt, JsonObject kwargs) {
    return template.render(messages, tools, addGenerationPrompt, kwargs);
  }

  public long[] textPrompt(String text) {
    return tokenizer.encode(text);
  }

  /** The fill-in-the-middle marker sets we know (prefix, suffix, middle), tried in order. */
  private static final List<List<String>> FIM_MARKERS = List.of(
      List.of("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
      List.of("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
      List.of("<PRE>", "<SUF>", "<MID>"));

  /** True when the tokenizer has fill-in-the-middle tokens. */
  public boolean supportsFim() {
    return fimMarkers() != null;
  }

  private List<String> fimMarkers() {
    for (List<String> set : FIM_MARKERS) {
      if (set.stream().allMatch(t -> tokenizer.singleTokenId(t) != null)) {
        return set;
      }
    }
    return null;
  }

  /** A prefix-suffix-middle prompt; null when the model has no FIM tokens. */
  public long[] fimPrompt(String prefix, String suffix) {
    List<String> m = fimMarkers();
    return m == null ? null : tokenizer.encode(m.get(0) + prefix + m.get(1) + suffix + m.get(2));
  }

  public JsonObject info() {
    ModelConfig c = model.config();
    return new JsonObject().put("name", spec.name()).put("device", deviceName).put("contextLength", model.context())
        .put("maxBatch", model.maxBatch()).put("vocabSize", c.vocabSize()).put("layers", c.layers())
        .put("hiddenSize", c.hiddenSize()).put("chatTemplate", template.isPlain() ? "plain" : "model");
  }

  @Override
  public void close() {
    scheduler.close();
    model.close();
    tokenizer.close();
  }
}
