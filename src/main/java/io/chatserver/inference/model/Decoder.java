package io.chatserver.inference.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * A decoder-only transformer of the Llama lineage, with the knobs in which the families differ
 * ({@link ModelConfig}: Qwen's q/k/v biases and q/k norms, Mistral's and Gemma's sliding windows,
 * Gemma's (1 + w) norms, sandwich norms, GELU, embedding scale and soft-capping, Phi-3's LongRoPE
 * and fused weights, SmolLM3's layers without RoPE), written with DJL NDArray ops over PyTorch,
 * with a slot-based KV cache for continuous batching.
 *
 * <p>The cache has {@code maxBatch + 1 + retained} slots: rows {@code [0, n)} are the sequences
 * being decoded together, slot {@link #stagingSlot()} is where one new prompt is prefilled, chunk
 * by chunk, before {@link #moveSlot} puts it beside the others, and the {@link #retainedSlots()}
 * after it keep finished sequences whose prefix a later prompt may reuse. A forward pass runs a contiguous range of
 * slots, each with the same number of new tokens, and attends over a view of the cache: no
 * per-sequence loops inside a layer, and few ops per step (the op count, not the FLOPs, is the
 * cost of small models).
 *
 * <p>On a CPU a big model is split, tensor-parallel, into {@link Lanes}: lane s holds its share of
 * the query and key/value heads (with its own KV cache), of the MLP's columns and of the output
 * head's vocabulary, and runs on its own thread; the lanes' partial sums of o and down are added
 * to the residual stream, twice per layer. One lane is the plain model on the caller's thread.
 *
 * <p>Every forward call must run inside an {@code NDScope} (the scheduler does), so per-step
 * arrays are freed each step; helper lanes keep theirs in scopes of their own, closed when the
 * forward pass ends.
 */
public final class Decoder implements AutoCloseable {

  /** The norms of one layer: before attention and before the MLP, and (Gemma) after each. */
  private record Norms(NDArray preAttn, NDArray postAttn, NDArray preMlp, NDArray postMlp) {}

  /**
   * One lane's part of a layer: its query heads and their key/value heads (q/k/v rows, and the
   * matching columns of o), and its slice of the MLP (gate/up rows, the matching columns of down);
   * {@code qkNorm} is the per-head norm weight of its query and key heads, [heads + kvHeads, headDim].
   */
  private record ShardLayer(Weight wqkvT, NDArray bqkv, NDArray qkNorm, Weight woT, Weight wguT, Weight wdownT) {}

  /** One lane's part of the model: its heads, MLP columns and vocabulary rows, and its own KV cache. */
  private record Shard(ShardLayer[] layers, Weight headT, KvCache cache, int heads, int kvHeads, int inter) {}

  /** A weight matrix as a step multiplies by it: {@code x @ W^T}, float32 in and out, whatever the weight's own type. */
  private interface Weight {
    NDArray times(NDArray x);
  }

  /** W^T [in, out] in the model's dtype, through DJL's matMul. */
  private record Dense(NDArray wT) implements Weight {
    public NDArray times(NDArray x) {
      return x.matMul(wT);
    }
  }

  /** W^T [in, out] in bfloat16 on the CPU, through the lane's TorchOps. */
  private record Bf16(TorchOps ops, NDArray wT) implements Weight {
    public NDArray times(NDArray x) {
      return ops.linear(x, wT);
    }
  }

  /** W as fbgemm's packed int8 (per-row scales), through the lane's TorchOps. */
  private record Int8(TorchOps ops, ai.djl.pytorch.jni.IValue packed) implements Weight {
    public NDArray times(NDArray x) {
      return ops.qlinear(x, packed);
    }
  }

  /** W^T as the lane multiplies by it: dense, or bfloat16 when the lane has TorchOps. */
  private static Weight transposed(TorchOps ops, NDArray wT) {
    return ops == null ? new Dense(wT) : new Bf16(ops, wT);
  }

  /** W [out, in] (a float32 array or view, freed here) packed as int8. */
  private static Weight int8(TorchOps ops, NDArray w) {
    try (w) {
      return new Int8(ops, ops.int8(w));
    }
  }

  /** A RoPE's cos/sin tables on the device: [context (x2 for LongRoPE), headDim]. */
  private record RopeTables(Rope rope, NDArray cos, NDArray sin) {}

  private final ModelConfig cfg;
  private final NDManager manager;
  private final DataType dtype;
  /** The weights' type: the model's dtype, or bfloat16 or int8 on the CPU (then each lane multiplies through its {@link TorchOps}). */
  private final DataType weightType;
  /** Each lane's TorchOps (bfloat16 or int8 weights on the CPU), or null. */
  private final TorchOps[] ops;
  private final int maxBatch;
  private final int context;
  private final NDArray embed;
  private final Norms[] norms;
  private final Shard[] shards;
  private final NDArray finalNorm;
  private final int retained;
  /** The distinct RoPEs, and each layer's index into them (-1: no RoPE). */
  private final RopeTables[] ropes;
  private final int[] ropeOf;
  /** rotate_half as a matrix: x @ R = concat(-x2, x1) (one signed 1 per column, so the product is exact). */
  private final NDArray rotateHalf;
  private final Lanes lanes;
  /** Each helper lane's scope for the arrays of the forward pass in progress (index 0, the caller's, is unused). */
  private final NDScope[] laneScopes;
  /** Bytes of the weights as held: the layers' matrices in the weights' type, the embeddings and a head of its own. */
  private final long weightBytes;

  private Decoder(ModelConfig cfg, NDManager manager, DataType dtype, DataType weightType, TorchOps[] ops, int maxBatch, int context,
                  int retained, NDArray embed, Norms[] norms, ShardLayer[][] shardLayers, Weight[] heads, NDArray finalNorm,
                  boolean headOfItsOwn) {
    this.cfg = cfg;
    long table = (long) cfg.vocabSize() * cfg.hiddenSize();
    // the embeddings are float32 where the weights are, else bfloat16 (int8 weights: looked up, not multiplied)
    this.weightBytes = (cfg.matmulParams() - table) * weightType.getNumOfBytes()
        + table * (weightType == DataType.INT8 ? 2 : weightType.getNumOfBytes()) + (headOfItsOwn ? table * weightType.getNumOfBytes() : 0);
    this.manager = manager;
    this.dtype = dtype;
    this.weightType = weightType;
    this.ops = ops;
    this.maxBatch = maxBatch;
    this.context = context;
    this.embed = embed;
    this.norms = norms;
    this.finalNorm = finalNorm;
    java.util.List<RopeTables> distinct = new java.util.ArrayList<>();
    this.ropeOf = new int[cfg.layers()];
    for (int li = 0; li < cfg.layers(); li++) {
      Rope r = cfg.ropes()[li];
      ropeOf[li] = -1;
      if (r == null) {
        continue;
      }
      for (int k = 0; k < distinct.size() && ropeOf[li] < 0; k++) {
        if (distinct.get(k).rope() == r) {
          ropeOf[li] = k;
        }
      }
      if (ropeOf[li] < 0) {
        float[][] t = r.tables(cfg.headDim(), context);
        long rows = t[0].length / cfg.headDim();
        distinct.add(new RopeTables(r, manager.create(t[0], new Shape(rows, cfg.headDim())).toType(dtype, false),
            manager.create(t[1], new Shape(rows, cfg.headDim())).toType(dtype, false)));
        ropeOf[li] = distinct.size() - 1;
      }
    }
    this.ropes = distinct.toArray(new RopeTables[0]);
    this.rotateHalf = rotateHalf(manager, cfg.headDim()).toType(dtype, false);
    this.retained = retained;
    int n = shardLayers.length;
    this.shards = new Shard[n];
    for (int s = 0; s < n; s++) {
      KvCache cache = new KvCache(manager, cfg.layers(), maxBatch + 1 + retained, cfg.kvHeads() / n, context, cfg.headDim(), dtype);
      shards[s] = new Shard(shardLayers[s], heads[s], cache, cfg.heads() / n, cfg.kvHeads() / n, part(cfg.intermediateSize(), n, s + 1) - part(cfg.intermediateSize(), n, s));
    }
    this.lanes = new Lanes(n, "model");
    this.laneScopes = new NDScope[n];
  }

  /** Where lane {@code s} of {@code n} starts in {@code size} rows (the last lane takes the remainder). */
  private static int part(int size, int n, int s) {
    return (int) ((long) size * s / n);
  }

  /** Below this many weights a step costs its op dispatch, which more lanes only add to (stories260K). */
  static final long AUTO_LANES_PARAMS = 8L << 20;

  /**
   * The lanes a model is split into on this machine when its config says "auto": one per core
   * (at most 8) for a model big enough that reading its weights, not dispatching its ops,
   * is the cost; one on a GPU or for a small model. The number must divide the key/value heads.
   */
  public static int autoLanes(ModelConfig cfg, Device device, int cores) {
    if (!Device.Type.CPU.equals(device.getDeviceType()) || cfg.matmulParams() < AUTO_LANES_PARAMS) {
      return 1;
    }
    return lanesFor(cfg, Math.min(8, cores));
  }

  /** The most lanes, at most {@code wanted}, that split the key/value heads evenly. */
  public static int lanesFor(ModelConfig cfg, int wanted) {
    int n = Math.max(1, wanted);
    while (cfg.kvHeads() % n != 0) {
      n--;
    }
    return n;
  }

  /** Where a checkpoint's tensors come from: by Hugging Face name, as float32. */
  public interface Weights {
    boolean has(String name);

    /** The tensor's shape, or null when there is none of that name. */
    long[] shape(String name);

    /**
     * Writes {@code rows} of the tensor's rows (its shape's first dimension) from {@code firstRow},
     * as float32, into {@code into} from its position (it has room for them).
     */
    void read(String name, long firstRow, long rows, FloatBuffer into) throws IOException;

    /** Writes all the tensor's values, as float32, into {@code into} from its position. */
    default void read(String name, FloatBuffer into) throws IOException {
      read(name, 0, shape(name)[0], into);
    }
  }

  /** A Hugging Face folder's safetensors files (one or sharded) as weights. */
  public static Weights safetensors(Path dir) throws IOException {
    Map<String, Safetensors.Tensor> t = Safetensors.readDirectory(dir);
    return new Weights() {
      @Override
      public boolean has(String name) {
        return t.containsKey(name);
      }

      @Override
      public long[] shape(String name) {
        Safetensors.Tensor x = t.get(name);
        return x == null ? null : x.shape();
      }

      @Override
      public void read(String name, long firstRow, long rows, FloatBuffer into) throws IOException {
        Safetensors.Tensor x = t.get(name);
        long rowLength = x.elements() / x.shape()[0];
        Safetensors.readF32(x, firstRow * rowLength, rows * rowLength, into);
      }
    };
  }

  /**
   * Loads a model onto {@code device}, in {@code dtype} (float32, bfloat16 or int8 on CPU, where the
   * last two mean such weights with float32 activations and cache, see {@link TorchOps}; float16 or
   * bfloat16 on a GPU: half-precision weights are widened in Java, then cast there), with {@code retained} extra
   * cache slots for prefix reuse, split into {@code lanes} tensor-parallel shards that run on as
   * many threads (it must divide the key/value heads). {@code progress} hears the number of layers loaded so far.
   */
  public static Decoder load(ModelConfig cfg, Weights t, String source, Device device, DataType dtype, int maxBatch, int context,
                             int retained, int lanes, IntConsumer progress) throws IOException {
    if (lanes < 1 || cfg.kvHeads() % lanes != 0) {
      throw new IllegalArgumentException("lanes must divide the model's " + cfg.kvHeads() + " key/value heads, not " + lanes);
    }
    int ctx = Math.min(context, cfg.maxPositions());
    NDManager manager = NDManager.newBaseManager(device);
    TorchOps[] ops = null;
    DataType weightType = dtype;
    boolean int8 = dtype == DataType.INT8;
    if ((dtype == DataType.BFLOAT16 || int8) && !device.isGpu()) {
      ops = new TorchOps[lanes];
      for (int s = 0; s < lanes; s++) {
        ops[s] = new TorchOps(manager); // one module per lane thread
      }
      dtype = DataType.FLOAT32;
    } else if (int8) {
      throw new IllegalArgumentException("int8 weights run on the CPU only");
    }
    TorchOps[] laneOps = ops;
    TorchOps cast = ops == null ? null : ops[0];
    // bfloat16 weights: a float32 view or array becomes a bfloat16 copy, and the float32 one is freed
    java.util.function.UnaryOperator<NDArray> keep = cast == null ? w -> w : w -> {
      try (w) {
        return cast.bf16(w);
      }
    };
    try {
      Loader l = new Loader(manager, t, dtype, source, cfg.weightPrefix(), cast);
      int dim = cfg.hiddenSize();
      NDArray embed = l.tensor("embed_tokens.weight", true, cfg.vocabSize(), dim);
      float scale = (float) cfg.attnScale();
      int hd = cfg.headDim();
      int qRows = cfg.heads() * hd;
      int kvRows = cfg.kvHeads() * hd;
      int inter = cfg.intermediateSize();
      Norms[] norms = new Norms[cfg.layers()];
      ShardLayer[][] shardLayers = new ShardLayer[lanes][cfg.layers()];
      for (int i = 0; i < cfg.layers(); i++) {
        String p = "layers." + i + ".";
        NDArray wq;
        NDArray wk;
        NDArray wv;
        if (cfg.fusedQkv()) {
          try (NDArray fused = l.tensor(p + "self_attn.qkv_proj.weight", qRows + 2L * kvRows, dim)) {
            NDList parts = fused.split(new long[] {qRows, qRows + kvRows}, 0);
            wq = parts.get(0).duplicate();
            wk = parts.get(1).duplicate();
            wv = parts.get(2).duplicate();
            parts.close();
          }
        } else {
          wq = l.tensor(p + "self_attn.q_proj.weight", qRows, dim);
          wk = l.tensor(p + "self_attn.k_proj.weight", kvRows, dim);
          wv = l.tensor(p + "self_attn.v_proj.weight", kvRows, dim);
        }
        NDArray bq = null;
        NDArray bk = null;
        NDArray bv = null;
        if (cfg.qkvBias()) {
          bq = l.tensor(p + "self_attn.q_proj.bias", qRows);
          bk = l.tensor(p + "self_attn.k_proj.bias", kvRows);
          bv = l.tensor(p + "self_attn.v_proj.bias", kvRows);
        }
        NDArray qNorm = null;
        NDArray kNorm = null;
        if (cfg.qkNorm()) {
          // 1/sqrt(head_dim) (or Gemma's scale) goes into the query norm, which comes after the projection
          qNorm = l.scaled(l.norm(p + "self_attn.q_norm.weight", hd, cfg.normPlusOne()), scale);
          kNorm = l.norm(p + "self_attn.k_norm.weight", hd, cfg.normPlusOne());
        } else {
          // the attention scale is folded into the query weights once, instead of a multiply per step
          wq = l.scaled(wq, scale);
          if (bq != null) {
            bq = l.scaled(bq, scale);
          }
        }
        NDArray wo = l.tensor(p + "self_attn.o_proj.weight", dim, qRows);
        NDArray wgate;
        NDArray wup;
        if (cfg.fusedGateUp()) {
          try (NDArray fused = l.tensor(p + "mlp.gate_up_proj.weight", 2L * inter, dim)) {
            NDList parts = fused.split(2, 0);
            wgate = parts.get(0).duplicate();
            wup = parts.get(1).duplicate();
            parts.close();
          }
        } else {
          wgate = l.tensor(p + "mlp.gate_proj.weight", inter, dim);
          wup = l.tensor(p + "mlp.up_proj.weight", inter, dim);
        }
        NDArray wdown = l.tensor(p + "mlp.down_proj.weight", dim, inter);
        // Fused weights with each lane's rows together: [q_0 k_0 v_0 q_1 k_1 v_1 ...], [gate_0 up_0 gate_1 up_1 ...].
        NDList qkvParts = new NDList();
        NDList biasParts = new NDList();
        NDList guParts = new NDList();
        for (int s = 0; s < lanes; s++) {
          NDIndex q = rows(part(qRows, lanes, s), part(qRows, lanes, s + 1));
          NDIndex kv = rows(part(kvRows, lanes, s), part(kvRows, lanes, s + 1));
          qkvParts.addAll(new NDList(wq.get(q), wk.get(kv), wv.get(kv)));
          if (bq != null) {
            biasParts.addAll(new NDList(bq.get(q), bk.get(kv), bv.get(kv)));
          }
          NDIndex m = rows(part(inter, lanes, s), part(inter, lanes, s + 1));
          guParts.addAll(new NDList(wgate.get(m), wup.get(m)));
        }
        NDArray wqkv = NDArrays.concat(qkvParts, 0);
        NDArray bqkv = bq == null ? null : NDArrays.concat(biasParts, 0);
        NDArray wgu = NDArrays.concat(guParts, 0);
        // the slices hold their sources' memory: close them with the sources, once the fused copies exist
        qkvParts.close();
        biasParts.close();
        guParts.close();
        long qkvPerLane = (qRows + 2L * kvRows) / lanes;
        NDArray woT = wo.transpose();
        NDArray wdownT = wdown.transpose();
        long guPerLane = 0;
        for (int s = 0; s < lanes; s++) {
          long mRows = 2L * (part(inter, lanes, s + 1) - part(inter, lanes, s));
          int q0 = part(qRows, lanes, s);
          int q1 = part(qRows, lanes, s + 1);
          int m0 = part(inter, lanes, s);
          int m1 = part(inter, lanes, s + 1);
          NDArray laneNorm = null;
          if (qNorm != null) {
            long laneHeads = cfg.heads() / lanes;
            long laneKv = cfg.kvHeads() / lanes;
            laneNorm = NDArrays.concat(new NDList(qNorm.reshape(1, hd).repeat(0, laneHeads),
                kNorm.reshape(1, hd).repeat(0, laneKv)), 0);                    // [heads + kvHeads of the lane, headDim]
          }
          TorchOps o = laneOps == null ? null : laneOps[s];
          NDArray bias = bqkv == null ? null : bqkv.get(rows(s * qkvPerLane, (s + 1) * qkvPerLane));
          shardLayers[s][i] = int8
              ? new ShardLayer(int8(o, wqkv.get(rows(s * qkvPerLane, (s + 1) * qkvPerLane))), bias, laneNorm,
                  int8(o, wo.get(new NDIndex(":, {}:{}", q0, q1))),
                  int8(o, wgu.get(rows(guPerLane, guPerLane + mRows))),
                  int8(o, wdown.get(new NDIndex(":, {}:{}", m0, m1))))
              : new ShardLayer(transposed(o, keep.apply(wqkv.get(rows(s * qkvPerLane, (s + 1) * qkvPerLane))).transpose()), bias,
                  laneNorm,
                  transposed(o, keep.apply(woT.get(rows(q0, q1)))),      // [q rows of the lane, dim]: a strided view
                  transposed(o, keep.apply(wgu.get(rows(guPerLane, guPerLane + mRows))).transpose()),
                  transposed(o, keep.apply(wdownT.get(rows(m0, m1)))));
          guPerLane += mRows;
        }
        if (cast != null) {
          for (NDArray a : new NDArray[] {wqkv, wgu, wo, woT, wdown, wdownT}) {
            a.close();
          }
        }
        boolean plus = cfg.normPlusOne();
        norms[i] = cfg.sandwichNorms()
            ? new Norms(l.norm(p + "input_layernorm.weight", dim, plus), l.norm(p + "post_attention_layernorm.weight", dim, plus),
                l.norm(p + "pre_feedforward_layernorm.weight", dim, plus), l.norm(p + "post_feedforward_layernorm.weight", dim, plus))
            : new Norms(l.norm(p + "input_layernorm.weight", dim, plus), null,
                l.norm(p + "post_attention_layernorm.weight", dim, plus), null);
        for (NDArray a : new NDArray[] {wq, wk, wv, wgate, wup, bq, bk, bv, qNorm, kNorm}) {
          if (a != null) {
            a.close();
          }
        }
        NativeMemory.trim(); // the layer's float32 temporaries: keeps the peak at load near what is kept
        progress.accept(i + 1);
      }
      NDArray norm = l.norm("norm.weight", dim, cfg.normPlusOne());
      boolean tied = cfg.tiedEmbeddings() || !t.has("lm_head.weight");
      Weight[] heads = new Weight[lanes];
      if (int8) {
        // the embeddings stay bfloat16 (rows are looked up, not multiplied); the head is read again as float32 to
        // pack, each lane's rows on their own (a lane's share of float32 at a time)
        String name = tied ? l.resolve("embed_tokens.weight") : "lm_head.weight";
        for (int s = 0; s < lanes; s++) {
          long from = part(cfg.vocabSize(), lanes, s);
          heads[s] = int8(ops[s], l.rowsAt(name, false, from, part(cfg.vocabSize(), lanes, s + 1) - from, cfg.vocabSize(), dim));
        }
      } else {
        NDArray head = tied ? embed : l.tensorAt("lm_head.weight", true, cfg.vocabSize(), dim);
        for (int s = 0; s < lanes; s++) {
          heads[s] = transposed(ops == null ? null : ops[s], lanes == 1 ? head.transpose()
              : head.get(rows(part(cfg.vocabSize(), lanes, s), part(cfg.vocabSize(), lanes, s + 1))).transpose());
        }
      }
      Decoder model = new Decoder(cfg, manager, dtype, weightType, ops, maxBatch, ctx, retained, embed, norms, shardLayers, heads,
          norm, int8 || !tied);
      NativeMemory.trim();
      return model;
    } catch (IOException | RuntimeException e) {
      closeAll(ops);
      manager.close();
      throw e;
    }
  }

  private static void closeAll(TorchOps[] ops) {
    if (ops != null) {
      for (TorchOps o : ops) {
        o.close();
      }
    }
  }

  private static NDIndex rows(long from, long to) {
    return new NDIndex("{}:{}", from, to);
  }

  /**
   * Creates NDArrays from the checkpoint's tensors, checking names and shapes. Every tensor passes,
   * in blocks of rows, through one reused 16 MB native buffer into an array of the loaded type, so
   * that loading holds the model plus that buffer: no copy per tensor waits for the garbage
   * collector, and the files are read, not mapped.
   */
  private static final class Loader {
    private final NDManager manager;
    private final Weights tensors;
    private final DataType dtype;
    private final String source;
    private final String prefix;
    /** Casts to bfloat16 the tensors that are kept as they are read (the embeddings, the output head); null: float32. */
    private final TorchOps cast;
    private ByteBuffer scratch;
    /** Values per block read (16 MB as float32). */
    private static final long BLOCK_VALUES = 4L << 20;

    Loader(NDManager manager, Weights tensors, DataType dtype, String source, String prefix, TorchOps cast) {
      this.cast = cast;
      this.manager = manager;
      this.tensors = tensors;
      this.dtype = dtype;
      this.source = source;
      this.prefix = prefix;
    }

    /** {@code a * factor}, freeing {@code a}. */
    NDArray scaled(NDArray a, float factor) {
      try (a) {
        return a.mul(factor);
      }
    }

    /** A norm's weight, as (1 + w) for the families that scale by it. */
    NDArray norm(String name, long size, boolean plusOne) throws IOException {
      NDArray w = tensor(name, size);
      if (!plusOne) {
        return w;
      }
      try (w) {
        return w.add(1f);
      }
    }

    /** A tensor of the decoder stack (under the config's prefix, e.g. "model."), as float32. */
    NDArray tensor(String name, long... shape) throws IOException {
      return tensor(name, false, shape);
    }

    /** As above; {@code kept}: used as it is read, so in bfloat16 when the weights are, cast block by block as it is read. */
    NDArray tensor(String name, boolean kept, long... shape) throws IOException {
      return tensorAt(resolve(name), kept, shape);
    }

    /** The checkpoint's full name of a decoder-stack tensor. */
    String resolve(String name) throws IOException {
      for (String p : new String[] {prefix, "model.", "model.language_model.", "language_model.model."}) {
        if (tensors.has(p + name)) {
          return p + name;
        }
      }
      throw new IOException(source + ": the checkpoint has no tensor " + prefix + name);
    }

    NDArray tensorAt(String name, boolean kept, long... shape) throws IOException {
      return rowsAt(name, kept, 0, shape[0], shape);
    }

    /**
     * Rows {@code [first, first + count)} of tensor {@code name} (of shape {@code shape}), read in
     * blocks through one small reused buffer into an array of the loaded type: loading holds the
     * model and at most one tensor of float32 beside it, never a buffer as large as the largest tensor.
     */
    NDArray rowsAt(String name, boolean kept, long first, long count, long... shape) throws IOException {
      long[] actual = tensors.shape(name);
      if (actual == null) {
        throw new IOException(source + ": the checkpoint has no tensor " + name);
      }
      if (!java.util.Arrays.equals(actual, shape)) {
        throw new IOException(source + ": tensor " + name + " has shape " + java.util.Arrays.toString(actual)
            + ", the config implies " + java.util.Arrays.toString(shape));
      }
      long rowLength = 1;
      for (int i = 1; i < shape.length; i++) {
        rowLength *= shape[i];
      }
      if (rowLength * 4 > Integer.MAX_VALUE - 8) {
        throw new IOException(source + ": a row of tensor " + name + " is larger than 2 GB as float32");
      }
      long[] outShape = shape.clone();
      outShape[0] = count;
      boolean bf16 = kept && cast != null;
      NDArray out = bf16 ? cast.emptyBf16(outShape) : manager.create(new Shape(outShape), DataType.FLOAT32);
      try {
        long perBlock = Math.max(1, BLOCK_VALUES / rowLength);
        if (scratch == null) {
          scratch = ByteBuffer.allocateDirect((int) (Math.max(BLOCK_VALUES, rowLength) * 4)).order(ByteOrder.nativeOrder());
        }
        for (long r = 0; r < count; r += perBlock) {
          long n = Math.min(perBlock, count - r);
          scratch.clear().limit((int) (n * rowLength * 4));
          java.nio.FloatBuffer into = scratch.asFloatBuffer();
          tensors.read(name, first + r, n, into);
          if (into.position() != n * rowLength) {
            throw new IOException(source + ": tensor " + name + " gave " + into.position() + " values, not " + n * rowLength);
          }
          long[] blockShape = outShape.clone();
          blockShape[0] = n;
          try (NDArray block = manager.create(scratch, new Shape(blockShape), DataType.FLOAT32)) {
            if (bf16) {
              cast.put(out, r, block);
            } else {
              out.set(new NDIndex("{}:{}", r, r + n), block);
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        out.close();
        throw e;
      }
      if (bf16 || dtype == DataType.FLOAT32) {
        return out;
      }
      try (out) {
        return out.toType(dtype, false);
      }
    }
  }

  /** Bytes of one weight in memory. */
  public int bytesPerParam() {
    return weightType.getNumOfBytes();
  }

  /** Bytes of the weights as held (what a peak RSS is measured against). */
  public long weightBytes() {
    return weightBytes;
  }

  /** The weights' type (bfloat16 or int8 on the CPU mean float32 activations and cache). */
  public DataType weightType() {
    return weightType;
  }

  public ModelConfig config() {
    return cfg;
  }

  public int maxBatch() {
    return maxBatch;
  }

  public int context() {
    return context;
  }

  /** Cache slots that keep finished sequences for prefix reuse: {@code stagingSlot() + 1 ...}. */
  public int retainedSlots() {
    return retained;
  }

  public int stagingSlot() {
    return maxBatch;
  }

  public NDManager manager() {
    return manager;
  }

  /**
   * Runs {@code rows} cache slots from {@code firstSlot}, each with {@code len} new tokens
   * ({@code tokens} row-major) whose first position is {@code startPos[row]}; their keys and values
   * are written into the cache. Returns float32 logits [rows, vocab] of each row's last token, or
   * [rows, len, vocab] for every token when {@code allLogits}.
   */
  public NDArray forward(long[] tokens, int firstSlot, int rows, int len, int[] startPos, boolean allLogits) {
    return forward(tokens, firstSlot, rows, len, startPos, null, allLogits);
  }

  /**
   * As above; {@code seqLength[row]} is how long the row's sequence is taken to be for LongRoPE's
   * choice of factors (transformers decides by the longest position of a forward pass, so a prompt
   * prefilled in chunks passes its whole length); null means each row's last new position + 1.
   */
  public NDArray forward(long[] tokens, int firstSlot, int rows, int len, int[] startPos, int[] seqLength, boolean allLogits) {
    int visible = 0; // cache positions any row attends to: 0 .. the longest row's last new position
    long[] slotOf = new long[rows * len];
    long[] positionOf = new long[rows * len];
    for (int r = 0; r < rows; r++) {
      visible = Math.max(visible, startPos[r] + len);
      for (int l = 0; l < len; l++) {
        slotOf[r * len + l] = firstSlot + r;
        positionOf[r * len + l] = startPos[r] + l;
      }
    }
    if (visible > context) {
      throw new IllegalArgumentException("sequence would exceed the context of " + context + " tokens");
    }
    for (Shard shard : shards) {
      shard.cache().ensure(visible);
    }
    NDArray positions = manager.create(positionOf);
    KvCache.Step step = KvCache.Step.of(manager.create(slotOf), positions, firstSlot, rows, visible);
    // each distinct sliding window (0: none) has its mask: [rows, 1, len*groups, visible], or null when nothing is hidden
    java.util.Map<Integer, NDArray> masks = new java.util.HashMap<>();
    for (int w : cfg.slidingWindows()) {
      if (!masks.containsKey(w)) {
        masks.put(w, causalMask(rows, len, startPos, visible, w));
      }
    }
    NDArray[][] rope = new NDArray[ropes.length][];
    for (int k = 0; k < ropes.length; k++) {
      rope[k] = ropeAt(ropes[k], positionOf, rows, len, seqLength);
    }

    NDArray ids = manager.create(tokens);
    NDArray x = (ops == null ? embed.get(new NDIndex("{}", ids)) : ops[0].embedding(embed, ids))
        .reshape(rows, len, cfg.hiddenSize());                                                            // [rows, len, dim]
    if (cfg.embedScale() != 1.0) {
      x = x.mul((float) cfg.embedScale());
    }
    openLaneScopes();
    try {
      for (int li = 0; li < norms.length; li++) {
        int layer = li;
        Norms n = norms[li];
        NDArray mask = masks.get(cfg.slidingWindows()[li]);
        NDArray[] cosSin = ropeOf[li] < 0 ? null : rope[ropeOf[li]];
        NDArray in = x;
        NDArray out;
        // the layer's intermediates (a 512-token chunk's attention scores and MLP activations: tens of MB per
        // layer) go when the layer is done, not when the whole pass is: only its output stays
        try (NDScope layerScope = new NDScope()) {
          NDArray h = rmsNorm(in, n.preAttn());
          Object[] attended = lanes.map(s -> own(() -> attention(shards[s], layer, h, rows, len, step, mask, cosSin)));
          NDArray mid;
          try {
            mid = n.postAttn() == null ? plus(in, attended) : in.add(rmsNorm(sum(attended), n.postAttn()));
          } finally {
            closeArrays(attended);
          }
          NDArray h2 = rmsNorm(mid, n.preMlp());
          Object[] mlp = lanes.map(s -> own(() -> feedForward(shards[s], layer, h2)));
          try {
            out = n.postMlp() == null ? plus(mid, mlp) : mid.add(rmsNorm(sum(mlp), n.postMlp()));
          } finally {
            closeArrays(mlp);
          }
          NDScope.unregister(out);
        }
        NDScope.register(out); // the pass's scope frees it
        x = out;
      }
      if (!allLogits) {
        x = len == 1 ? x.reshape(rows, cfg.hiddenSize()) : x.get(new NDIndex(":, -1, :")); // [rows, dim]
      }
      NDArray normed = rmsNorm(x, finalNorm);
      Object[] parts = lanes.map(s -> shards[s].headT().times(normed));                    // [rows, (len,) vocab/lanes]
      NDArray logits = parts.length == 1 ? (NDArray) parts[0] : NDArrays.concat(list(parts), -1);
      if (logits.getDataType() != DataType.FLOAT32) {
        logits = logits.toType(DataType.FLOAT32, false);
      }
      if (cfg.finalSoftcap() > 0) {
        float cap = (float) cfg.finalSoftcap();
        logits = logits.div(cap).tanh().mul(cap);
      }
      return logits;
    } finally {
      closeLaneScopes();
    }
  }

  /** cos and sin of a RoPE at each new token's position, [rows*len, 1, headDim] (LongRoPE: per row, short or long). */
  private NDArray[] ropeAt(RopeTables t, long[] positionOf, int rows, int len, int[] seqLength) {
    long[] at = positionOf;
    if (t.rope().hasLong()) {
      at = positionOf.clone();
      for (int r = 0; r < rows; r++) {
        int seq = seqLength != null ? seqLength[r] : (int) positionOf[r * len + len - 1] + 1;
        if (seq > t.rope().originalMax()) {
          for (int l = 0; l < len; l++) {
            at[r * len + l] += context; // the long factors' rows
          }
        }
      }
    }
    NDIndex index = new NDIndex("{}", manager.create(at));
    return new NDArray[] {t.cos().get(index).expandDims(1), t.sin().get(index).expandDims(1)};
  }

  /** {@code x} plus each lane's part of a layer's output (a lane's rows of o or down give a partial sum). */
  private static NDArray plus(NDArray x, Object[] parts) {
    for (Object p : parts) {
      x = x.add((NDArray) p);
    }
    return x;
  }

  /** What {@code f} makes, outside the lane's scope (the caller closes it); what it made on the way goes now. */
  private static NDArray own(java.util.function.Supplier<NDArray> f) {
    try (NDScope scope = new NDScope()) {
      NDArray out = f.get();
      NDScope.unregister(out);
      return out;
    }
  }

  private static void closeArrays(Object[] arrays) {
    for (Object a : arrays) {
      ((NDArray) a).close();
    }
  }

  /** The lanes' partial sums added up. */
  private static NDArray sum(Object[] parts) {
    NDArray out = (NDArray) parts[0];
    for (int i = 1; i < parts.length; i++) {
      out = out.add((NDArray) parts[i]);
    }
    return out;
  }

  private static NDList list(Object[] arrays) {
    NDList l = new NDList(arrays.length);
    for (Object a : arrays) {
      l.add((NDArray) a);
    }
    return l;
  }

  /** Helper lanes keep what they compute for this forward pass in their own scope, closed when it ends. */
  private void openLaneScopes() {
    if (laneScopes.length > 1) {
      lanes.map(s -> s == 0 ? null : (laneScopes[s] = new NDScope()));
    }
  }

  private void closeLaneScopes() {
    if (laneScopes.length > 1) {
      lanes.map(s -> {
        if (s > 0 && laneScopes[s] != null) {
          laneScopes[s].close();
          laneScopes[s] = null;
        }
        return null;
      });
    }
  }

  /**
   * One lane's share of a layer's grouped-query self-attention over its own heads and cache, for
   * normalised input {@code h} [rows, len, dim]; writes the new keys and values into the lane's
   * cache and returns the lane's partial sum of the output projection, [rows, len, dim].
   * {@code cosSin} is null for a layer without RoPE.
   */
  private NDArray attention(Shard shard, int li, NDArray h, int rows, int len, KvCache.Step step, NDArray mask,
                            NDArray[] cosSin) {
    ShardLayer layer = shard.layers()[li];
    int heads = shard.heads();
    int kvHeads = shard.kvHeads();
    int groups = cfg.groups(); // query heads per kv head
    int headDim = cfg.headDim();
    NDArray qkv = layer.wqkvT().times(h);                                  // [rows, len, (heads + 2*kvHeads)*headDim]
    if (layer.bqkv() != null) {
      qkv = qkv.add(layer.bqkv());
    }
    NDList qkAndV = qkv.reshape((long) rows * len, heads + 2L * kvHeads, headDim).split(new long[] {heads + kvHeads}, 1);
    NDArray qk = qkAndV.get(0);
    if (layer.qkNorm() != null) {
      qk = normalize(qk).mul(layer.qkNorm());                               // each query and key head, over headDim
    }
    if (cosSin != null) {
      qk = qk.mul(cosSin[0]).add(qk.matMul(rotateHalf).mul(cosSin[1]));    // RoPE on queries and keys together
    }
    NDList qAndK = qk.split(new long[] {heads}, 1);
    NDArray q = qAndK.get(0);                                                 // [rows*len, heads, headDim]
    NDArray k = qAndK.get(1);                                                 // [rows*len, kvHeads, headDim]
    NDArray v = qkAndV.get(1);
    shard.cache().write(li, step, k, v);
    NDArray keysT = shard.cache().keysTransposed(li, step);                   // [rows, kvHeads, headDim, visible]
    NDArray values = shard.cache().values(li, step);
    // each kv head with its group of query heads: [rows, len, kvHeads*groups, hd] -> [rows, kvHeads, len*groups, hd]
    NDArray qByKv = len == 1 ? q.reshape(rows, kvHeads, groups, headDim) // one token: the transpose moves a dim of 1
        : q.reshape(rows, len, kvHeads, groups, headDim).transpose(0, 2, 1, 3, 4).reshape(rows, kvHeads, (long) len * groups, headDim);
    NDArray scores = qByKv.matMul(keysT);                                     // [rows, kvHeads, len*groups, visible]
    if (cfg.attnSoftcap() > 0) {
      float cap = (float) cfg.attnSoftcap();
      scores = scores.div(cap).tanh().mul(cap);
    }
    NDArray probs = (mask == null ? scores : scores.add(mask)).softmax(-1);
    NDArray attended = probs.matMul(values);                                  // [rows, kvHeads, len*groups, headDim]
    NDArray out = len == 1 ? attended.reshape(rows, 1, heads * headDim)
        : attended.reshape(rows, kvHeads, len, groups, headDim).transpose(0, 2, 1, 3, 4).reshape(rows, len, heads * headDim);
    return layer.woT().times(out);
  }

  /** One lane's share of the gated MLP, down(act(gate(h)) * up(h)): its partial sum, [rows, len, dim]. */
  private NDArray feedForward(Shard shard, int li, NDArray h) {
    ShardLayer layer = shard.layers()[li];
    NDArray gateUp = layer.wguT().times(h);                                // [rows, len, 2*inter of the lane]
    NDList gu = gateUp.split(new long[] {shard.inter()}, 2);
    NDArray gate = gu.get(0);
    NDArray up = gu.get(1);
    NDArray act = cfg.activation().equals("gelu_tanh") ? geluTanh(gate) : gate.mul(Activation.sigmoid(gate));
    return layer.wdownT().times(act.mul(up)); // [rows, len, dim]
  }

  private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

  /** GELU with the tanh approximation (PyTorch's gelu(approximate="tanh")): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  private static NDArray geluTanh(NDArray x) {
    NDArray inner = x.mul(x).mul(x).mul(0.044715f).add(x).mul(SQRT_2_OVER_PI);
    return inner.tanh().add(1f).mul(x).mul(0.5f);
  }

  /**
   * 0 where row r's query l (at position startPos[r] + l) may look (cache positions up to its own,
   * and within the last {@code window} of them when the layer slides), -inf elsewhere; null when
   * every query may look at every visible position (one token per row, all rows at the same
   * position, inside the window), so that nothing is added.
   */
  private NDArray causalMask(int rows, int len, int[] startPos, int visible, int window) {
    boolean needed = len > 1 || (window > 0 && visible > window);
    for (int r = 0; r < rows && !needed; r++) {
      needed = startPos[r] + 1 != visible;
    }
    if (!needed) {
      return null;
    }
    int groups = cfg.groups();
    float[] data = new float[rows * len * groups * visible];
    int i = 0;
    for (int r = 0; r < rows; r++) {
      for (int l = 0; l < len; l++) {
        int last = startPos[r] + l;
        int first = window > 0 ? last - window + 1 : 0;
        for (int g = 0; g < groups; g++) {
          for (int t = 0; t < visible; t++) {
            data[i++] = t <= last && t >= first ? 0f : Float.NEGATIVE_INFINITY;
          }
        }
      }
    }
    return manager.create(data, new Shape(rows, 1, (long) len * groups, visible)).toType(dtype, false);
  }

  /** x * rsqrt(mean(x^2) + eps) * w, computed in float32 even when the model runs in half precision. */
  private NDArray rmsNorm(NDArray x, NDArray w) {
    return normalize(x).mul(w);
  }

  /** x * rsqrt(mean(x^2) + eps) over the last dimension, in float32, back in the model's dtype. */
  private NDArray normalize(NDArray x) {
    NDArray xf = dtype == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
    NDArray normed = xf.mul(xf.square().mean(new int[] {-1}, true).add((float) cfg.rmsNormEps()).pow(-0.5f));
    return dtype == DataType.FLOAT32 ? normed : normed.toType(dtype, false);
  }

  /** The [hd, hd] matrix of rotate-half: output j < hd/2 is -x[j + hd/2], output j >= hd/2 is x[j - hd/2]. */
  private static NDArray rotateHalf(NDManager manager, int hd) {
    float[] r = new float[hd * hd];
    int half = hd / 2;
    for (int j = 0; j < half; j++) {
      r[(j + half) * hd + j] = -1f;       // row k = j + half, column j
      r[j * hd + (j + half)] = 1f;        // row k = j, column j + half
    }
    return manager.create(r, new Shape(hd, hd));
  }

  /** Copies one slot's cache into another (all layers): admission from staging, and compaction. */
  public void moveSlot(int from, int to) {
    if (from != to) {
      for (Shard s : shards) {
        s.cache().move(from, to);
      }
    }
  }

  /** The tensor-parallel lanes (threads) a step runs on. */
  public int lanes() {
    return shards.length;
  }

  @Override
  public void close() {
    lanes.close();
    closeAll(ops);
    manager.close();
    NativeMemory.trim(); // an unloaded model's memory goes back to the system, not to the allocator's free lists
  }
}
