package io.chatserver.inference.model.gguf;

import io.chatserver.inference.model.Decoder;
import io.chatserver.inference.model.ModelConfig;
import io.chatserver.inference.model.Rope;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model from one GGUF file: the decoder's settings from its {@code <arch>.*} metadata, its
 * tensors under Hugging Face's names (dequantized one at a time as the decoder asks for them; the
 * Q and K rows of llama-architecture files put back in Hugging Face's order, undoing llama.cpp's
 * conversion permutation), and its tokenizer and chat template ({@code tokenizer.ggml.*},
 * {@code tokenizer.chat_template}) as a {@code tokenizer.json} and {@code tokenizer_config.json}
 * that Hugging Face's tokenizers library reads.
 */
public final class GgufCheckpoint implements AutoCloseable {

  /** The architectures read from GGUF metadata. */
  public static final List<String> ARCHITECTURES = List.of("llama", "qwen2", "qwen3");

  private final GgufFile file;
  private final String arch;
  private final ModelConfig config;

  private GgufCheckpoint(GgufFile file, String arch, ModelConfig config) {
    this.file = file;
    this.arch = arch;
    this.config = config;
  }

  public static GgufCheckpoint open(Path path) throws IOException {
    return open(path, true);
  }

  /**
   * Opens a GGUF file; {@code ropeFreqs} false ignores a {@code rope_freqs} tensor (Llama 3.1+'s
   * scaling), as transformers' GGUF loader does, to reproduce its output exactly. llama.cpp applies
   * it, and so does transformers on the same model's safetensors: that is the default.
   */
  public static GgufCheckpoint open(Path path, boolean ropeFreqs) throws IOException {
    GgufFile f = GgufFile.open(path);
    try {
      Map<String, Object> m = f.metadata();
      String arch = m.get("general.architecture") instanceof String s ? s : null;
      if (arch == null || !ARCHITECTURES.contains(arch)) {
        throw new IOException(path + ": GGUF architecture '" + arch + "' is not supported (" + String.join(", ", ARCHITECTURES)
            + " are; other families work from their Hugging Face folder)");
      }
      return new GgufCheckpoint(f, arch, config(f, arch, path, ropeFreqs));
    } catch (IOException | RuntimeException e) {
      f.close();
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException(path + ": " + e.getMessage(), e);
    }
  }

  public ModelConfig config() {
    return config;
  }

  public GgufFile file() {
    return file;
  }

  private static long need(Map<String, Object> m, String key, Path path) throws IOException {
    if (!(m.get(key) instanceof Long v) || v <= 0 || v > Integer.MAX_VALUE) {
      throw new IOException(path + ": the GGUF metadata has no positive " + key);
    }
    return v;
  }

  private static ModelConfig config(GgufFile f, String arch, Path path, boolean ropeFreqs) throws IOException {
    Map<String, Object> m = f.metadata();
    String a = arch + ".";
    ModelConfig.Builder b = ModelConfig.builder();
    b.modelType = arch;
    b.hiddenSize = (int) need(m, a + "embedding_length", path);
    b.intermediateSize = (int) need(m, a + "feed_forward_length", path);
    b.layers = (int) need(m, a + "block_count", path);
    b.heads = (int) need(m, a + "attention.head_count", path);
    b.kvHeads = m.get(a + "attention.head_count_kv") instanceof Long kv ? kv.intValue() : b.heads;
    b.headDim = m.get(a + "attention.key_length") instanceof Long k ? k.intValue() : b.hiddenSize / b.heads;
    b.maxPositions = m.get(a + "context_length") instanceof Long c ? (int) Math.min(c, Integer.MAX_VALUE) : 2048;
    b.rmsNormEps = m.get(a + "attention.layer_norm_rms_epsilon") instanceof Double e ? e : 1e-5;
    GgufFile.TensorInfo embed = f.tensors().get("token_embd.weight");
    if (embed == null) {
      throw new IOException(path + ": the GGUF file has no token_embd.weight");
    }
    b.vocabSize = (int) embed.shape()[0];
    if (m.get(a + "expert_count") instanceof Long experts && experts > 0) {
      throw new IOException(path + ": a mixture of " + experts + " experts is not supported");
    }
    b.tiedEmbeddings = !f.tensors().containsKey("output.weight");
    double theta = m.get(a + "rope.freq_base") instanceof Double t ? t : 10000.0;
    long ropeDims = m.get(a + "rope.dimension_count") instanceof Long d ? d : b.headDim;
    if (ropeDims != b.headDim) {
      throw new IOException(path + ": partial rotary embeddings (" + ropeDims + " of " + b.headDim + " dims) are not supported");
    }
    String scaling = m.get(a + "rope.scaling.type") instanceof String s ? s : "none";
    Rope rope = switch (scaling) {
      case "none" -> Rope.standard(theta);
      case "linear" -> new Rope("linear", theta, m.get(a + "rope.scaling.factor") instanceof Double x ? x : 1.0, 0, 0, 0, null,
          null, 1.0);
      default -> throw new IOException(path + ": rope scaling '" + scaling + "' is not supported (none, linear are)");
    };
    GgufFile.TensorInfo freqs = f.tensors().get("rope_freqs.weight");
    if (freqs != null && ropeFreqs) {
      // llama 3.1+: per-frequency divisors (llama.cpp's rope_freqs), which is how its converter stores llama3 scaling
      float[] fac = f.floats(freqs);
      if (fac.length != b.headDim / 2) {
        throw new IOException(path + ": rope_freqs.weight has " + fac.length + " values, not head_dim / 2");
      }
      double[] factors = new double[fac.length];
      for (int i = 0; i < fac.length; i++) {
        factors[i] = fac[i];
      }
      rope = new Rope("factors", theta, 1, 0, 0, 0, null, factors, 1.0);
    }
    b.ropes = new Rope[b.layers];
    Arrays.fill(b.ropes, rope);
    b.qkvBias = f.tensors().containsKey("blk.0.attn_q.bias");
    b.qkNorm = f.tensors().containsKey("blk.0.attn_q_norm.weight");
    if (m.get(a + "attention.sliding_window") instanceof Long w && w > 0) {
      b.slidingWindows = new int[b.layers];
      Arrays.fill(b.slidingWindows, (int) Math.min(w, Integer.MAX_VALUE));
    }
    b.bosId = m.get("tokenizer.ggml.bos_token_id") instanceof Long bos ? bos.intValue() : null;
    List<Integer> eos = new ArrayList<>();
    for (String k : List.of("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")) {
      if (m.get(k) instanceof Long id && !eos.contains(id.intValue())) {
        eos.add(id.intValue());
      }
    }
    b.eosIds = eos;
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IOException(path + ": " + e.getMessage());
    }
  }

  /** GGUF names of a layer's tensors by the Hugging Face names the decoder asks for. */
  private static final Map<String, String> LAYER_NAMES = Map.ofEntries(
      Map.entry("input_layernorm.weight", "attn_norm.weight"),
      Map.entry("post_attention_layernorm.weight", "ffn_norm.weight"),
      Map.entry("self_attn.q_proj.weight", "attn_q.weight"),
      Map.entry("self_attn.k_proj.weight", "attn_k.weight"),
      Map.entry("self_attn.v_proj.weight", "attn_v.weight"),
      Map.entry("self_attn.o_proj.weight", "attn_output.weight"),
      Map.entry("self_attn.q_proj.bias", "attn_q.bias"),
      Map.entry("self_attn.k_proj.bias", "attn_k.bias"),
      Map.entry("self_attn.v_proj.bias", "attn_v.bias"),
      Map.entry("self_attn.q_norm.weight", "attn_q_norm.weight"),
      Map.entry("self_attn.k_norm.weight", "attn_k_norm.weight"),
      Map.entry("mlp.gate_proj.weight", "ffn_gate.weight"),
      Map.entry("mlp.up_proj.weight", "ffn_up.weight"),
      Map.entry("mlp.down_proj.weight", "ffn_down.weight"));

  /** The GGUF tensor behind a Hugging Face name, or null. */
  String ggufName(String hf) {
    switch (hf) {
      case "model.embed_tokens.weight":
        return "token_embd.weight";
      case "model.norm.weight":
        return "output_norm.weight";
      case "lm_head.weight":
        return "output.weight";
      default:
        break;
    }
    if (hf.startsWith("model.layers.")) {
      int dot = hf.indexOf('.', "model.layers.".length());
      if (dot > 0) {
        String layer = hf.substring("model.layers.".length(), dot);
        String g = LAYER_NAMES.get(hf.substring(dot + 1));
        return g == null ? null : "blk." + layer + "." + g;
      }
    }
    return null;
  }

  /** The tensors as the decoder reads them: Hugging Face names, float32, llama's Q/K rows in Hugging Face's order. */
  public Decoder.Weights weights() {
    return new Decoder.Weights() {
      @Override
      public boolean has(String name) {
        String g = ggufName(name);
        return g != null && file.tensors().containsKey(g);
      }

      @Override
      public long[] shape(String name) {
        String g = ggufName(name);
        GgufFile.TensorInfo t = g == null ? null : file.tensors().get(g);
        return t == null ? null : t.shape();
      }

      @Override
      public void read(String name, long firstRow, long rows, FloatBuffer into) throws IOException {
        GgufFile.TensorInfo t = file.tensors().get(ggufName(name));
        long[] shape = t.shape();
        long rowLength = t.elements() / shape[0];
        boolean q = arch.equals("llama") && name.endsWith("self_attn.q_proj.weight");
        boolean k = arch.equals("llama") && name.endsWith("self_attn.k_proj.weight");
        if (shape.length == 1) {
          float[] v = file.floats(t); // a vector: small
          into.put(v, (int) (firstRow * rowLength), (int) (rows * rowLength));
        } else if (q || k) {
          int hd = (int) (shape[0] / (q ? config.heads() : config.kvHeads()));
          for (long r = firstRow; r < firstRow + rows; r++) {
            file.read(t, fileRow(r, hd), 1, into); // row by row, in Hugging Face's order
          }
        } else {
          file.read(t, firstRow, rows, into); // the file's rows are the Hugging Face shape's first dimension
        }
      }
    };
  }

  /**
   * llama.cpp's converter reorders each head's rows from [half, pair] to [pair, half] (so that
   * rotary pairs are adjacent): Hugging Face's row (h, j, i) of [heads, 2, hd/2] is the file's
   * row (h, i, j) of [heads, hd/2, 2]. {@code hd}: rows per head.
   */
  static long fileRow(long row, int hd) {
    int half = hd / 2;
    long h = row / hd;
    int within = (int) (row % hd);
    int j = within / half;
    int i = within % half;
    return h * hd + i * 2L + j;
  }

  @Override
  public void close() throws IOException {
    file.close();
  }

  // ---- tokenizer ----

  /** The tokenizer_config.json this file implies: BOS/EOS text, whether BOS is added, the chat template. */
  public JsonObject tokenizerConfig() {
    Map<String, Object> m = file.metadata();
    List<?> tokens = m.get("tokenizer.ggml.tokens") instanceof List<?> l ? l : List.of();
    JsonObject tc = new JsonObject();
    if (m.get("tokenizer.ggml.bos_token_id") instanceof Long id && id >= 0 && id < tokens.size()) {
      tc.put("bos_token", tokens.get(id.intValue()));
    }
    if (m.get("tokenizer.ggml.eos_token_id") instanceof Long id && id >= 0 && id < tokens.size()) {
      tc.put("eos_token", tokens.get(id.intValue()));
    }
    tc.put("add_bos_token", Boolean.TRUE.equals(m.get("tokenizer.ggml.add_bos_token")));
    if (m.get("tokenizer.chat_template") instanceof String t) {
      tc.put("chat_template", t);
    }
    return tc;
  }

  /** A tokenizer.json for Hugging Face's tokenizers library, built from {@code tokenizer.ggml.*}. */
  public String tokenizerJson() throws IOException {
    return GgufTokenizer.build(file.metadata(), file.toString());
  }

  static Map<String, Integer> index(List<?> tokens) {
    Map<String, Integer> out = new HashMap<>(tokens.size() * 2);
    for (int i = 0; i < tokens.size(); i++) {
      out.putIfAbsent(String.valueOf(tokens.get(i)), i);
    }
    return out;
  }
}
