package io.chatserver.inference.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
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
 * <p>Every forward call must run inside an {@code NDScope} (the scheduler does), so per-step
 * arrays are freed each step.
 */
public final class LlamaModel implements AutoCloseable {

  private record Layer(NDArray inNorm, Proj wqkvT, NDArray bqkv, Proj woT, NDArray postNorm, Proj wguT, Proj wdownT) {}

  /**
   * A projection {@code x W^T}, W stored [out, in]. A batch-1 step multiplies a row by W, which
   * PyTorch's CPU BLAS does on one core (measured: 16 GB/s of weights against 42 GB/s the machine
   * reads); so a large W is also kept as a view of {@code parts} column blocks, multiplied with one
   * batched matmul that PyTorch spreads over its threads (each output is the same dot product, so
   * the result is too: max difference 0.0 in the measurement). Small weights stay one matmul: for
   * them the extra ops cost more than they save.
   */
  static final class Proj {
    /** Weights at least this big (in * out) are split into blocks. */
    static final long SPLIT_AT = 1L << 20;
    /** Blocks per weight: twice the cores (measured on 2 cores: 4 blocks beat 2, which beat 1); -Dchat.matmulParts overrides. */
    static final int PARTS = Integer.getInteger("chat.matmulParts",
        Math.max(1, Math.min(8, 2 * Runtime.getRuntime().availableProcessors())));

    final NDArray wT;
    private final NDArray blocks;
    private final int parts;
    private final long out;

    Proj(NDArray wT) {
      this.wT = wT;
      long in = wT.getShape().get(0);
      this.out = wT.getShape().get(1);
      boolean split = PARTS > 1 && in * out >= SPLIT_AT && out % PARTS == 0;
      this.parts = split ? PARTS : 1;
      // W^T is a view of W [out, in]: W's rows in PARTS groups, each transposed: [parts, in, out/parts]
      this.blocks = split ? wT.transpose().reshape(parts, out / parts, in).transpose(0, 2, 1) : null;
    }

    NDArray apply(NDArray x) {
      if (blocks == null) {
        return x.matMul(wT);
      }
      long[] dims = x.getShape().getShape();
      long in = dims[dims.length - 1];
      long rows = x.getShape().size() / in;
      NDArray y = x.reshape(1, rows, in).broadcast(new Shape(parts, rows, in)).matMul(blocks); // [parts, rows, out/parts]
      long[] outDims = dims.clone();
      outDims[outDims.length - 1] = out;
      return y.transpose(1, 0, 2).reshape(new Shape(outDims));
    }
  }

  private final ModelConfig cfg;
  private final NDManager manager;
  private final DataType dtype;
  private final int maxBatch;
  private final int context;
  private final NDArray embed;
  private final Layer[] layers;
  private final NDArray finalNorm;
  private final Proj lmHeadT;
  private final int retained;
  private final NDArray cos;
  /** rotate_half as a matrix: x @ R = concat(-x2, x1) (one signed 1 per column, so the product is exact). */
  private final NDArray rotateHalf;
  private final NDArray sin;
  private final KvCache cache;

  private LlamaModel(ModelConfig cfg, NDManager manager, DataType dtype, int maxBatch, int context, int retained, NDArray embed,
                     Layer[] layers, NDArray finalNorm, Proj lmHeadT) {
    this.cfg = cfg;
    this.manager = manager;
    this.dtype = dtype;
    this.maxBatch = maxBatch;
    this.context = context;
    this.embed = embed;
    this.layers = layers;
    this.finalNorm = finalNorm;
    this.lmHeadT = lmHeadT;
    float[][] tables = ropeTables(cfg, context);
    this.cos = manager.create(tables[0], new Shape(context, cfg.headDim())).toType(dtype, false);
    this.sin = manager.create(tables[1], new Shape(context, cfg.headDim())).toType(dtype, false);
    this.rotateHalf = rotateHalf(manager, cfg.headDim()).toType(dtype, false);
    this.retained = retained;
    this.cache = new KvCache(manager, cfg.layers(), maxBatch + 1 + retained, cfg.kvHeads(), context, cfg.headDim(), dtype);
  }

  /**
   * Loads a Hugging Face-format directory onto {@code device}, in {@code dtype} (float32 on CPU;
   * float16 or bfloat16 on a GPU: half-precision weights are widened in Java, then cast there).
   * {@code progress} hears the number of layers loaded so far.
   */
  public static LlamaModel load(Path dir, Device device, DataType dtype, int maxBatch, int context, IntConsumer progress)
      throws IOException {
    return load(dir, device, dtype, maxBatch, context, 0, progress);
  }

  /** As above, with {@code retained} extra cache slots for prefix reuse. */
  public static LlamaModel load(Path dir, Device device, DataType dtype, int maxBatch, int context, int retained,
                                IntConsumer progress) throws IOException {
    ModelConfig cfg = ModelConfig.read(dir);
    Map<String, Safetensors.Tensor> t = Safetensors.readDirectory(dir);
    int ctx = Math.min(context, cfg.maxPositions());
    NDManager manager = NDManager.newBaseManager(device);
    try {
      Loader l = new Loader(manager, t, dtype, dir);
      NDArray embed = l.tensor("model.embed_tokens.weight", cfg.vocabSize(), cfg.hiddenSize());
      float scale = (float) (1.0 / Math.sqrt(cfg.headDim()));
      int qRows = cfg.heads() * cfg.headDim();
      int kvRows = cfg.kvHeads() * cfg.headDim();
      Layer[] layers = new Layer[cfg.layers()];
      for (int i = 0; i < cfg.layers(); i++) {
        String p = "model.layers." + i + ".";
        // 1/sqrt(head_dim) is folded into the query weights once, instead of a multiply per step.
        NDArray wq = l.tensor(p + "self_attn.q_proj.weight", qRows, cfg.hiddenSize()).mul(scale);
        NDArray wk = l.tensor(p + "self_attn.k_proj.weight", kvRows, cfg.hiddenSize());
        NDArray wv = l.tensor(p + "self_attn.v_proj.weight", kvRows, cfg.hiddenSize());
        NDArray bqkv = null;
        if (cfg.qkvBias()) {
          bqkv = NDArrays.concat(new NDList(l.tensor(p + "self_attn.q_proj.bias", qRows).mul(scale),
              l.tensor(p + "self_attn.k_proj.bias", kvRows), l.tensor(p + "self_attn.v_proj.bias", kvRows)), 0);
        }
        NDArray wgate = l.tensor(p + "mlp.gate_proj.weight", cfg.intermediateSize(), cfg.hiddenSize());
        NDArray wup = l.tensor(p + "mlp.up_proj.weight", cfg.intermediateSize(), cfg.hiddenSize());
        layers[i] = new Layer(
            l.tensor(p + "input_layernorm.weight", cfg.hiddenSize()),
            new Proj(NDArrays.concat(new NDList(wq, wk, wv), 0).transpose()),
            bqkv,
            new Proj(l.tensor(p + "self_attn.o_proj.weight", cfg.hiddenSize(), qRows).transpose()),
            l.tensor(p + "post_attention_layernorm.weight", cfg.hiddenSize()),
            new Proj(NDArrays.concat(new NDList(wgate, wup), 0).transpose()),
            new Proj(l.tensor(p + "mlp.down_proj.weight", cfg.hiddenSize(), cfg.intermediateSize()).transpose()));
        wq.close();
        wk.close();
        wv.close();
        wgate.close();
        wup.close();
        progress.accept(i + 1);
      }
      NDArray norm = l.tensor("model.norm.weight", cfg.hiddenSize());
      NDArray head = cfg.tiedEmbeddings() || !t.containsKey("lm_head.weight")
          ? embed : l.tensor("lm_head.weight", cfg.vocabSize(), cfg.hiddenSize());
      return new LlamaModel(cfg, manager, dtype, maxBatch, ctx, retained, embed, layers, norm, new Proj(head.transpose()));
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** Creates NDArrays from mapped safetensors, checking names and shapes. */
  private record Loader(NDManager manager, Map<String, Safetensors.Tensor> tensors, DataType dtype, Path dir) {
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
    NDArray mask = causalMask(rows, len, startPos, visible);                              // [rows, 1, len*groups, visible]
    NDArray cosAt = cos.get(new NDIndex("{}", positions)).reshape(rows, len, 1, cfg.headDim()); // [rows, len, 1, headDim]
    NDArray sinAt = sin.get(new NDIndex("{}", positions)).reshape(rows, len, 1, cfg.headDim());

    NDArray x = embed.get(new NDIndex("{}", manager.create(tokens))).reshape(rows, len, cfg.hiddenSize()); // [rows, len, dim]
    for (int li = 0; li < layers.length; li++) {
      Layer layer = layers[li];
      x = x.add(attention(li, layer, rmsNorm(x, layer.inNorm()), rows, len, step, mask, cosAt, sinAt));
      x = x.add(feedForward(layer, rmsNorm(x, layer.postNorm())));
    }
    if (!allLogits) {
      x = x.get(new NDIndex(":, -1, :"));                                                    // [rows, dim]
    }
    NDArray logits = lmHeadT.apply(rmsNorm(x, finalNorm));                                  // [rows, (len,) vocab]
    return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
  }

  /**
   * Grouped-query self-attention of one layer over the cache, for normalised input {@code h}
   * [rows, len, dim]; writes the new keys and values into the cache and returns [rows, len, dim].
   */
  private NDArray attention(int li, Layer layer, NDArray h, int rows, int len, KvCache.Step step, NDArray mask,
                            NDArray cosAt, NDArray sinAt) {
    int heads = cfg.heads();
    int kvHeads = cfg.kvHeads();
    int groups = cfg.groups(); // query heads per kv head
    int headDim = cfg.headDim();
    NDArray qkv = layer.wqkvT().apply(h);                                    // [rows, len, (heads + 2*kvHeads)*headDim]
    if (layer.bqkv() != null) {
      qkv = qkv.add(layer.bqkv());
    }
    NDArray qk = qkv.get(new NDIndex("..., :{}", (heads + kvHeads) * headDim)).reshape(rows, len, heads + kvHeads, headDim);
    NDArray v = qkv.get(new NDIndex("..., {}:", (heads + kvHeads) * headDim)).reshape((long) rows * len, kvHeads, headDim);
    qk = qk.mul(cosAt).add(qk.matMul(rotateHalf).mul(sinAt));                // RoPE on queries and keys together
    NDArray q = qk.get(new NDIndex(":, :, :{}", heads));                      // [rows, len, heads, headDim]
    NDArray k = qk.get(new NDIndex(":, :, {}:", heads)).reshape((long) rows * len, kvHeads, headDim);
    cache.write(li, step, k, v);
    NDArray keys = cache.keys(li, step);                                      // [rows, kvHeads, visible, headDim]
    NDArray values = cache.values(li, step);
    // each kv head with its group of query heads: [rows, len, kvHeads*groups, hd] -> [rows, kvHeads, len*groups, hd]
    NDArray qByKv = len == 1 ? q.reshape(rows, kvHeads, groups, headDim) // one token: the transpose moves a dim of 1
        : q.reshape(rows, len, kvHeads, groups, headDim).transpose(0, 2, 1, 3, 4).reshape(rows, kvHeads, (long) len * groups, headDim);
    NDArray probs = qByKv.matMul(keys.transpose(0, 1, 3, 2)).add(mask).softmax(-1); // [rows, kvHeads, len*groups, visible]
    NDArray attended = probs.matMul(values);                                  // [rows, kvHeads, len*groups, headDim]
    NDArray out = len == 1 ? attended.reshape(rows, 1, heads * headDim)
        : attended.reshape(rows, kvHeads, len, groups, headDim).transpose(0, 2, 1, 3, 4).reshape(rows, len, heads * headDim);
    return layer.woT().apply(out);
  }

  /** SwiGLU: down(silu(gate(h)) * up(h)), for normalised input [rows, len, dim]. */
  private NDArray feedForward(Layer layer, NDArray h) {
    NDArray gateUp = layer.wguT().apply(h);                                  // [rows, len, 2*intermediate]
    int inter = cfg.intermediateSize();
    NDList gu = gateUp.split(new long[] {inter}, gateUp.getShape().dimension() - 1);
    NDArray gate = gu.get(0);
    NDArray up = gu.get(1);
    return layer.wdownT().apply(gate.mul(Activation.sigmoid(gate)).mul(up)); // [rows, len, dim]
  }

  /** 0 where row r's query l (at position startPos[r] + l) may look (cache positions 0..that), -inf elsewhere. */
  private NDArray causalMask(int rows, int len, int[] startPos, int visible) {
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
      cache.move(from, to);
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
