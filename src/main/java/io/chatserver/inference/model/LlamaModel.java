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
 * <p>The cache has {@code maxBatch + 1} slots: rows {@code [0, n)} are the sequences being decoded
 * together, and slot {@link #stagingSlot()} is where one new prompt is prefilled, chunk by chunk,
 * before {@link #moveSlot} puts it beside the others. A forward pass runs a contiguous range of
 * slots, each with the same number of new tokens, and attends over a view of the cache: no
 * per-sequence loops inside a layer, and few ops per step (the op count, not the FLOPs, is the
 * cost of small models).
 *
 * <p>Every forward call must run inside an {@code NDScope} (the scheduler does), so per-step
 * arrays are freed each step.
 */
public final class LlamaModel implements AutoCloseable {

  private record Layer(NDArray inNorm, NDArray wqkvT, NDArray bqkv, NDArray woT, NDArray postNorm, NDArray wguT,
                       NDArray wdownT) {}

  private final ModelConfig cfg;
  private final NDManager manager;
  private final DataType dtype;
  private final int maxBatch;
  private final int context;
  private final NDArray embed;
  private final Layer[] layers;
  private final NDArray finalNorm;
  private final NDArray lmHeadT;
  private final NDArray cos;
  private final NDArray sin;
  private final NDArray[] keys;
  private final NDArray[] values;

  private LlamaModel(ModelConfig cfg, NDManager manager, DataType dtype, int maxBatch, int context, NDArray embed,
                     Layer[] layers, NDArray finalNorm, NDArray lmHeadT) {
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
    this.keys = new NDArray[cfg.layers()];
    this.values = new NDArray[cfg.layers()];
    Shape cacheShape = new Shape(maxBatch + 1, cfg.kvHeads(), context, cfg.headDim());
    for (int i = 0; i < cfg.layers(); i++) {
      keys[i] = manager.zeros(cacheShape, dtype);
      values[i] = manager.zeros(cacheShape, dtype);
    }
  }

  /**
   * Loads a Hugging Face-format directory onto {@code device}, in {@code dtype} (float32 on CPU;
   * float16 or bfloat16 on a GPU: half-precision weights are widened in Java, then cast there).
   * {@code progress} hears the number of layers loaded so far.
   */
  public static LlamaModel load(Path dir, Device device, DataType dtype, int maxBatch, int context, IntConsumer progress)
      throws IOException {
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
            NDArrays.concat(new NDList(wq, wk, wv), 0).transpose(),
            bqkv,
            l.tensor(p + "self_attn.o_proj.weight", cfg.hiddenSize(), qRows).transpose(),
            l.tensor(p + "post_attention_layernorm.weight", cfg.hiddenSize()),
            NDArrays.concat(new NDList(wgate, wup), 0).transpose(),
            l.tensor(p + "mlp.down_proj.weight", cfg.hiddenSize(), cfg.intermediateSize()).transpose());
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
      return new LlamaModel(cfg, manager, dtype, maxBatch, ctx, embed, layers, norm, head.transpose());
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

  public ModelConfig config() {
    return cfg;
  }

  public int maxBatch() {
    return maxBatch;
  }

  public int context() {
    return context;
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
    int n = rows * len;
    int g = cfg.groups();
    int nh = cfg.heads();
    int nkv = cfg.kvHeads();
    int hd = cfg.headDim();
    int total = 0;
    long[] slotIdx = new long[n];
    long[] posIdx = new long[n];
    for (int r = 0; r < rows; r++) {
      total = Math.max(total, startPos[r] + len);
      for (int l = 0; l < len; l++) {
        slotIdx[r * len + l] = firstSlot + r;
        posIdx[r * len + l] = startPos[r] + l;
      }
    }
    if (total > context) {
      throw new IllegalArgumentException("sequence would exceed the context of " + context + " tokens");
    }
    // Row r's query l (at position startPos[r] + l) sees cache positions 0..startPos[r] + l.
    float[] maskData = new float[rows * len * g * total];
    int i = 0;
    for (int r = 0; r < rows; r++) {
      for (int l = 0; l < len; l++) {
        int visible = startPos[r] + l;
        for (int gi = 0; gi < g; gi++) {
          for (int t = 0; t < total; t++) {
            maskData[i++] = t <= visible ? 0f : Float.NEGATIVE_INFINITY;
          }
        }
      }
    }
    NDManager m = manager;
    NDArray slots = m.create(slotIdx);
    NDArray positions = m.create(posIdx);
    NDArray mask = m.create(maskData, new Shape(rows, 1, (long) len * g, total)).toType(dtype, false);
    NDArray cosP = cos.get(new NDIndex("{}", positions)).reshape(rows, len, 1, hd);
    NDArray sinP = sin.get(new NDIndex("{}", positions)).reshape(rows, len, 1, hd);
    NDIndex cacheWrite = new NDIndex("{}, :, {}", slots, positions);
    NDIndex cacheView = new NDIndex("{}:{}, :, :{}", firstSlot, firstSlot + rows, total);

    NDArray x = embed.get(new NDIndex("{}", m.create(tokens))).reshape(rows, len, cfg.hiddenSize());
    for (int li = 0; li < layers.length; li++) {
      Layer layer = layers[li];
      NDArray qkv = rmsNorm(x, layer.inNorm()).matMul(layer.wqkvT());
      if (layer.bqkv() != null) {
        qkv = qkv.add(layer.bqkv());
      }
      NDArray qk = qkv.get(new NDIndex("..., :{}", (nh + nkv) * hd)).reshape(rows, len, nh + nkv, hd);
      NDArray v = qkv.get(new NDIndex("..., {}:", (nh + nkv) * hd)).reshape(n, nkv, hd);
      qk = rope(qk, cosP, sinP, hd / 2);
      NDArray q = qk.get(new NDIndex(":, :, :{}", nh));
      NDArray k = qk.get(new NDIndex(":, :, {}:", nh)).reshape(n, nkv, hd);
      keys[li].set(cacheWrite, k);
      values[li].set(cacheWrite, v);
      NDArray kv = keys[li].get(cacheView);
      NDArray vv = values[li].get(cacheView);
      // [rows, len, nkv*g, hd] -> [rows, nkv, len*g, hd]: each kv head with its group of query heads.
      NDArray qh = q.reshape(rows, len, nkv, g, hd).transpose(0, 2, 1, 3, 4).reshape(rows, nkv, (long) len * g, hd);
      NDArray probs = qh.matMul(kv.transpose(0, 1, 3, 2)).add(mask).softmax(-1);
      NDArray o = probs.matMul(vv).reshape(rows, nkv, len, g, hd).transpose(0, 2, 1, 3, 4).reshape(rows, len, nh * hd);
      x = x.add(o.matMul(layer.woT()));
      NDArray gu = rmsNorm(x, layer.postNorm()).matMul(layer.wguT());
      int inter = cfg.intermediateSize();
      NDArray gate = gu.get(new NDIndex("..., :{}", inter));
      NDArray up = gu.get(new NDIndex("..., {}:", inter));
      x = x.add(gate.mul(Activation.sigmoid(gate)).mul(up).matMul(layer.wdownT()));
    }
    if (!allLogits) {
      x = x.get(new NDIndex(":, -1, :"));
    }
    NDArray logits = rmsNorm(x, finalNorm).matMul(lmHeadT);
    return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
  }

  /** x * rsqrt(mean(x^2) + eps) * w, computed in float32 even when the model runs in half precision. */
  private NDArray rmsNorm(NDArray x, NDArray w) {
    NDArray xf = dtype == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
    NDArray normed = xf.mul(xf.square().mean(new int[] {-1}, true).add((float) cfg.rmsNormEps()).pow(-0.5f));
    return (dtype == DataType.FLOAT32 ? normed : normed.toType(dtype, false)).mul(w);
  }

  /** Rotate-half RoPE on [rows, len, heads, hd]. */
  private static NDArray rope(NDArray x, NDArray cos, NDArray sin, int half) {
    NDArray x1 = x.get(new NDIndex("..., :{}", half));
    NDArray x2 = x.get(new NDIndex("..., {}:", half));
    NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
    return x.mul(cos).add(rotated.mul(sin));
  }

  /** Copies one slot's cache into another (all layers): admission from staging, and compaction. */
  public void moveSlot(int from, int to) {
    if (from == to) {
      return;
    }
    for (int li = 0; li < layers.length; li++) {
      try (NDArray k = keys[li].get(new NDIndex("{}", from)); NDArray v = values[li].get(new NDIndex("{}", from))) {
        keys[li].set(new NDIndex("{}", to), k);
        values[li].set(new NDIndex("{}", to), v);
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
