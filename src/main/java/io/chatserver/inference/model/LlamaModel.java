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
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * A Llama-family decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU, tied or separate
 * head; Qwen2's q/k/v biases) written with DJL NDArray ops over PyTorch, with a slot-based KV
 * cache for continuous batching.
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
public final class LlamaModel implements AutoCloseable {

  /** The weights every lane reads: the norms of one layer. */
  private record Norms(NDArray in, NDArray post) {}

  /**
   * One lane's part of a layer: its query heads and their key/value heads (q/k/v rows, and the
   * matching columns of o), and its slice of the MLP (gate/up rows, the matching columns of down).
   * All are views of the layer's weights, laid out so that a lane's rows are contiguous.
   */
  private record ShardLayer(NDArray wqkvT, NDArray bqkv, NDArray woT, NDArray wguT, NDArray wdownT) {}

  /** One lane's part of the model: its heads, MLP columns and vocabulary rows, and its own KV cache. */
  private record Shard(ShardLayer[] layers, NDArray headT, KvCache cache, int heads, int kvHeads, int inter) {}

  private final ModelConfig cfg;
  private final NDManager manager;
  private final DataType dtype;
  private final int maxBatch;
  private final int context;
  private final NDArray embed;
  private final Norms[] norms;
  private final Shard[] shards;
  private final NDArray finalNorm;
  private final int retained;
  private final NDArray cos;
  /** rotate_half as a matrix: x @ R = concat(-x2, x1) (one signed 1 per column, so the product is exact). */
  private final NDArray rotateHalf;
  private final NDArray sin;
  private final Lanes lanes;
  /** Each helper lane's scope for the arrays of the forward pass in progress (index 0, the caller's, is unused). */
  private final NDScope[] laneScopes;

  private LlamaModel(ModelConfig cfg, NDManager manager, DataType dtype, int maxBatch, int context, int retained, NDArray embed,
                     Norms[] norms, ShardLayer[][] shardLayers, NDArray[] heads, NDArray finalNorm) {
    this.cfg = cfg;
    this.manager = manager;
    this.dtype = dtype;
    this.maxBatch = maxBatch;
    this.context = context;
    this.embed = embed;
    this.norms = norms;
    this.finalNorm = finalNorm;
    float[][] tables = ropeTables(cfg, context);
    this.cos = manager.create(tables[0], new Shape(context, cfg.headDim())).toType(dtype, false);
    this.sin = manager.create(tables[1], new Shape(context, cfg.headDim())).toType(dtype, false);
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

  /**
   * Loads a Hugging Face-format directory onto {@code device}, in {@code dtype} (float32 on CPU;
   * float16 or bfloat16 on a GPU: half-precision weights are widened in Java, then cast there).
   * {@code progress} hears the number of layers loaded so far.
   */
  public static LlamaModel load(Path dir, Device device, DataType dtype, int maxBatch, int context, IntConsumer progress)
      throws IOException {
    return load(dir, device, dtype, maxBatch, context, 0, 1, progress);
  }

  /**
   * As above, with {@code retained} extra cache slots for prefix reuse, split into {@code lanes}
   * tensor-parallel shards that run on as many threads (it must divide the key/value heads).
   */
  public static LlamaModel load(Path dir, Device device, DataType dtype, int maxBatch, int context, int retained, int lanes,
                                IntConsumer progress) throws IOException {
    ModelConfig cfg = ModelConfig.read(dir);
    if (lanes < 1 || cfg.kvHeads() % lanes != 0) {
      throw new IllegalArgumentException("lanes must divide the model's " + cfg.kvHeads() + " key/value heads, not " + lanes);
    }
    Map<String, Safetensors.Tensor> t = Safetensors.readDirectory(dir);
    int ctx = Math.min(context, cfg.maxPositions());
    NDManager manager = NDManager.newBaseManager(device);
    try {
      Loader l = new Loader(manager, t, dtype, dir);
      NDArray embed = l.tensor("model.embed_tokens.weight", cfg.vocabSize(), cfg.hiddenSize());
      float scale = (float) (1.0 / Math.sqrt(cfg.headDim()));
      int hd = cfg.headDim();
      int qRows = cfg.heads() * hd;
      int kvRows = cfg.kvHeads() * hd;
      int inter = cfg.intermediateSize();
      Norms[] norms = new Norms[cfg.layers()];
      ShardLayer[][] shardLayers = new ShardLayer[lanes][cfg.layers()];
      for (int i = 0; i < cfg.layers(); i++) {
        String p = "model.layers." + i + ".";
        // 1/sqrt(head_dim) is folded into the query weights once, instead of a multiply per step.
        NDArray wq = l.scaled(l.tensor(p + "self_attn.q_proj.weight", qRows, cfg.hiddenSize()), scale);
        NDArray wk = l.tensor(p + "self_attn.k_proj.weight", kvRows, cfg.hiddenSize());
        NDArray wv = l.tensor(p + "self_attn.v_proj.weight", kvRows, cfg.hiddenSize());
        NDArray bq = null;
        NDArray bk = null;
        NDArray bv = null;
        if (cfg.qkvBias()) {
          bq = l.scaled(l.tensor(p + "self_attn.q_proj.bias", qRows), scale);
          bk = l.tensor(p + "self_attn.k_proj.bias", kvRows);
          bv = l.tensor(p + "self_attn.v_proj.bias", kvRows);
        }
        NDArray wo = l.tensor(p + "self_attn.o_proj.weight", cfg.hiddenSize(), qRows);
        NDArray wgate = l.tensor(p + "mlp.gate_proj.weight", inter, cfg.hiddenSize());
        NDArray wup = l.tensor(p + "mlp.up_proj.weight", inter, cfg.hiddenSize());
        NDArray wdown = l.tensor(p + "mlp.down_proj.weight", cfg.hiddenSize(), inter);
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
        long guPerLane = 0;
        for (int s = 0; s < lanes; s++) {
          long mRows = 2L * (part(inter, lanes, s + 1) - part(inter, lanes, s));
          int q0 = part(qRows, lanes, s);
          int q1 = part(qRows, lanes, s + 1);
          int m0 = part(inter, lanes, s);
          int m1 = part(inter, lanes, s + 1);
          shardLayers[s][i] = new ShardLayer(
              wqkv.get(rows(s * qkvPerLane, (s + 1) * qkvPerLane)).transpose(),
              bqkv == null ? null : bqkv.get(rows(s * qkvPerLane, (s + 1) * qkvPerLane)),
              wo.transpose().get(rows(q0, q1)),                      // [q rows of the lane, dim]: a strided view
              wgu.get(rows(guPerLane, guPerLane + mRows)).transpose(),
              wdown.transpose().get(rows(m0, m1)));
          guPerLane += mRows;
        }
        norms[i] = new Norms(l.tensor(p + "input_layernorm.weight", cfg.hiddenSize()),
            l.tensor(p + "post_attention_layernorm.weight", cfg.hiddenSize()));
        for (NDArray a : new NDArray[] {wq, wk, wv, wgate, wup, bq, bk, bv}) {
          if (a != null) {
            a.close();
          }
        }
        progress.accept(i + 1);
      }
      NDArray norm = l.tensor("model.norm.weight", cfg.hiddenSize());
      NDArray head = cfg.tiedEmbeddings() || !t.containsKey("lm_head.weight")
          ? embed : l.tensor("lm_head.weight", cfg.vocabSize(), cfg.hiddenSize());
      NDArray[] heads = new NDArray[lanes];
      for (int s = 0; s < lanes; s++) {
        heads[s] = lanes == 1 ? head.transpose()
            : head.get(rows(part(cfg.vocabSize(), lanes, s), part(cfg.vocabSize(), lanes, s + 1))).transpose();
      }
      return new LlamaModel(cfg, manager, dtype, maxBatch, ctx, retained, embed, norms, shardLayers, heads, norm);
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private static NDIndex rows(long from, long to) {
    return new NDIndex("{}:{}", from, to);
  }

  /** Creates NDArrays from mapped safetensors, checking names and shapes. */
  private record Loader(NDManager manager, Map<String, Safetensors.Tensor> tensors, DataType dtype, Path dir) {
    /** {@code a * factor}, freeing {@code a}. */
    NDArray scaled(NDArray a, float factor) {
      try (a) {
        return a.mul(factor);
      }
    }

    NDArray tensor(String name, long... shape) throws IOException {
      Safetensors.Tensor t = tensors.get(name);
      if (t == null) {
        throw new IOException(dir + ": the checkpoint has no tensor " + name);
      }
      if (!java.util.Arrays.equals(t.shape(), shape)) {
        throw new IOException(dir + ": tensor " + name + " has shape " + java.util.Arrays.toString(t.shape())
            + ", config.json implies " + java.util.Arrays.toString(shape));
      }
      ByteBuffer src = Safetensors.toF32(t).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      ByteBuffer copy = ByteBuffer.allocateDirect(src.remaining()).order(java.nio.ByteOrder.nativeOrder());
      copy.asFloatBuffer().put(src.asFloatBuffer());
      // duplicate(): the tensor owns its memory, whatever the JNI does with the direct buffer.
      NDArray a;
      try (NDArray blob = manager.create(copy, new Shape(shape), DataType.FLOAT32)) {
        a = blob.duplicate();
      }
      if (dtype == DataType.FLOAT32) {
        return a;
      }
      try (a) {
        return a.toType(dtype, false);
      }
    }
  }

  /** cos/sin tables [context, head_dim] in Hugging Face's rotate-half layout, with the config's RoPE scaling. */
  static float[][] ropeTables(ModelConfig cfg, int context) {
    int hd = cfg.headDim();
    int half = hd / 2;
    double[] inv = new double[half];
    for (int i = 0; i < half; i++) {
      inv[i] = 1.0 / Math.pow(cfg.ropeTheta(), (2.0 * i) / hd);
    }
    double posScale = 1.0;
    JsonObject rs = cfg.ropeScaling();
    if (rs != null) {
      String type = rs.getString("rope_type", rs.getString("type", ""));
      double factor = rs.getDouble("factor", 1.0);
      if (type.equals("linear")) {
        posScale = 1.0 / factor;
      } else if (type.equals("llama3")) {
        double low = rs.getDouble("low_freq_factor", 1.0);
        double high = rs.getDouble("high_freq_factor", 4.0);
        double orig = rs.getDouble("original_max_position_embeddings", 8192.0);
        double lowWavelen = orig / low;
        double highWavelen = orig / high;
        for (int i = 0; i < half; i++) {
          double wavelen = 2 * Math.PI / inv[i];
          if (wavelen > lowWavelen) {
            inv[i] = inv[i] / factor;
          } else if (wavelen >= highWavelen) {
            double smooth = (orig / wavelen - low) / (high - low);
            inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
          }
        }
      }
    }
    float[] c = new float[context * hd];
    float[] s = new float[context * hd];
    for (int p = 0; p < context; p++) {
      for (int i = 0; i < half; i++) {
        double a = p * posScale * inv[i];
        float cv = (float) Math.cos(a);
        float sv = (float) Math.sin(a);
        c[p * hd + i] = cv;
        c[p * hd + i + half] = cv;
        s[p * hd + i] = sv;
        s[p * hd + i + half] = sv;
      }
    }
    return new float[][] {c, s};
  }

  /** Bytes of one weight in memory (the model's dtype). */
  public int bytesPerParam() {
    return dtype.getNumOfBytes();
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
    NDArray positions = manager.create(positionOf);
    KvCache.Step step = KvCache.Step.of(manager.create(slotOf), positions, firstSlot, rows, visible);
    NDArray mask = causalMask(rows, len, startPos, visible);                              // [rows, 1, len*groups, visible] or null
    NDIndex atPositions = new NDIndex("{}", positions);
    NDArray cosAt = cos.get(atPositions).expandDims(1);                                 // [rows*len, 1, headDim]
    NDArray sinAt = sin.get(atPositions).expandDims(1);

    NDArray x = embed.get(new NDIndex("{}", manager.create(tokens))).reshape(rows, len, cfg.hiddenSize()); // [rows, len, dim]
    openLaneScopes();
    try {
      for (int li = 0; li < norms.length; li++) {
        int layer = li;
        NDArray h = rmsNorm(x, norms[li].in());
        x = plus(x, lanes.map(s -> attention(shards[s], layer, h, rows, len, step, mask, cosAt, sinAt)));
        NDArray h2 = rmsNorm(x, norms[li].post());
        x = plus(x, lanes.map(s -> feedForward(shards[s], layer, h2)));
      }
      if (!allLogits) {
        x = len == 1 ? x.reshape(rows, cfg.hiddenSize()) : x.get(new NDIndex(":, -1, :")); // [rows, dim]
      }
      NDArray normed = rmsNorm(x, finalNorm);
      Object[] parts = lanes.map(s -> normed.matMul(shards[s].headT()));                    // [rows, (len,) vocab/lanes]
      NDArray logits = parts.length == 1 ? (NDArray) parts[0] : NDArrays.concat(list(parts), -1);
      return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    } finally {
      closeLaneScopes();
    }
  }

  /**
   * Runs only the matrix multiplications of one decode step of {@code rows} rows, over the same
   * lanes and weights, with inputs of ones (no attention, norms, cache or sampling): what the
   * engine's matmul kernels alone take, a floor for a whole step in this engine. For the benchmark.
   */
  public void matmulsOnly(int rows) {
    try (NDScope scope = new NDScope()) {
      openLaneScopes();
      try {
        lanes.map(s -> {
          Shard sh = shards[s];
          NDArray x = manager.ones(new Shape(rows, cfg.hiddenSize()), dtype);
          NDArray attended = manager.ones(new Shape(rows, (long) sh.heads() * cfg.headDim()), dtype);
          NDArray gated = manager.ones(new Shape(rows, sh.inter()), dtype);
          for (ShardLayer l : sh.layers()) {
            x.matMul(l.wqkvT());
            attended.matMul(l.woT());
            x.matMul(l.wguT());
            gated.matMul(l.wdownT());
          }
          return x.matMul(sh.headT());
        });
      } finally {
        closeLaneScopes();
      }
    }
  }

  /** {@code x} plus each lane's part of a layer's output (a lane's rows of o or down give a partial sum). */
  private static NDArray plus(NDArray x, Object[] parts) {
    for (Object p : parts) {
      x = x.add((NDArray) p);
    }
    return x;
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
   */
  private NDArray attention(Shard shard, int li, NDArray h, int rows, int len, KvCache.Step step, NDArray mask,
                            NDArray cosAt, NDArray sinAt) {
    ShardLayer layer = shard.layers()[li];
    int heads = shard.heads();
    int kvHeads = shard.kvHeads();
    int groups = cfg.groups(); // query heads per kv head
    int headDim = cfg.headDim();
    NDArray qkv = h.matMul(layer.wqkvT());                                  // [rows, len, (heads + 2*kvHeads)*headDim]
    if (layer.bqkv() != null) {
      qkv = qkv.add(layer.bqkv());
    }
    NDList qkAndV = qkv.reshape((long) rows * len, heads + 2L * kvHeads, headDim).split(new long[] {heads + kvHeads}, 1);
    NDArray qk = qkAndV.get(0).mul(cosAt).add(qkAndV.get(0).matMul(rotateHalf).mul(sinAt)); // RoPE on queries and keys together
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
    NDArray probs = (mask == null ? scores : scores.add(mask)).softmax(-1);
    NDArray attended = probs.matMul(values);                                  // [rows, kvHeads, len*groups, headDim]
    NDArray out = len == 1 ? attended.reshape(rows, 1, heads * headDim)
        : attended.reshape(rows, kvHeads, len, groups, headDim).transpose(0, 2, 1, 3, 4).reshape(rows, len, heads * headDim);
    return out.matMul(layer.woT());
  }

  /** One lane's share of SwiGLU, down(silu(gate(h)) * up(h)): its partial sum, [rows, len, dim]. */
  private NDArray feedForward(Shard shard, int li, NDArray h) {
    ShardLayer layer = shard.layers()[li];
    NDArray gateUp = h.matMul(layer.wguT());                                // [rows, len, 2*inter of the lane]
    NDList gu = gateUp.split(new long[] {shard.inter()}, 2);
    NDArray gate = gu.get(0);
    NDArray up = gu.get(1);
    return gate.mul(Activation.sigmoid(gate)).mul(up).matMul(layer.wdownT()); // [rows, len, dim]
  }

  /**
   * 0 where row r's query l (at position startPos[r] + l) may look (cache positions 0..that), -inf
   * elsewhere; null when every query may look at every visible position (one token per row, all
   * rows at the same position: a single stream's decode step), so that nothing is added.
   */
  private NDArray causalMask(int rows, int len, int[] startPos, int visible) {
    boolean needed = len > 1;
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
        for (int g = 0; g < groups; g++) {
          for (int t = 0; t < visible; t++) {
            data[i++] = t <= last ? 0f : Float.NEGATIVE_INFINITY;
          }
        }
      }
    }
    return manager.create(data, new Shape(rows, 1, (long) len * groups, visible)).toType(dtype, false);
  }

  /** x * rsqrt(mean(x^2) + eps) * w, computed in float32 even when the model runs in half precision. */
  private NDArray rmsNorm(NDArray x, NDArray w) {
    NDArray xf = dtype == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
    NDArray normed = xf.mul(xf.square().mean(new int[] {-1}, true).add((float) cfg.rmsNormEps()).pow(-0.5f));
    return (dtype == DataType.FLOAT32 ? normed : normed.toType(dtype, false)).mul(w);
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
    manager.close();
  }
}
