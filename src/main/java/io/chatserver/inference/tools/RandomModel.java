package io.chatserver.inference.tools;

import io.chatserver.inference.model.Safetensors;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Writes a Llama model of a realistic shape with RANDOM weights (normal, std 0.02) and a synthetic
 * BPE tokenizer, in Hugging Face format, for speed and memory measurements. Its output is noise:
 * figures measured with it must say the weights are random.
 */
public final class RandomModel {

  private RandomModel() {}

  public static void write(Path out, int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int context,
                           long seed) throws IOException {
    if (dim % heads != 0 || heads % kvHeads != 0 || vocab < 300) {
      throw new IllegalArgumentException("dim must divide by heads, heads by kv-heads, and vocab must be at least 300");
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    int hd = dim / heads;
    Map<String, float[]> t = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    put(t, shapes, rnd, "model.embed_tokens.weight", vocab, dim);
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      ones(t, shapes, p + "input_layernorm.weight", dim);
      put(t, shapes, rnd, p + "self_attn.q_proj.weight", dim, dim);
      put(t, shapes, rnd, p + "self_attn.k_proj.weight", kvHeads * hd, dim);
      put(t, shapes, rnd, p + "self_attn.v_proj.weight", kvHeads * hd, dim);
      put(t, shapes, rnd, p + "self_attn.o_proj.weight", dim, dim);
      ones(t, shapes, p + "post_attention_layernorm.weight", dim);
      put(t, shapes, rnd, p + "mlp.gate_proj.weight", hidden, dim);
      put(t, shapes, rnd, p + "mlp.up_proj.weight", hidden, dim);
      put(t, shapes, rnd, p + "mlp.down_proj.weight", dim, hidden);
    }
    ones(t, shapes, "model.norm.weight", dim);
    put(t, shapes, rnd, "lm_head.weight", vocab, dim);
    if (out.getFileName().toString().endsWith(".gguf")) {
      writeGguf(out, t, shapes, dim, hidden, layers, heads, kvHeads, context, tokenizer(vocab, rnd));
      return;
    }
    Files.createDirectories(out);
    Safetensors.writeF32(out.resolve("model.safetensors"), t, shapes);
    Files.writeString(out.resolve("config.json"), new JsonObject()
        .put("architectures", new JsonArray().add("LlamaForCausalLM")).put("model_type", "llama")
        .put("hidden_size", dim).put("intermediate_size", hidden).put("num_hidden_layers", layers)
        .put("num_attention_heads", heads).put("num_key_value_heads", kvHeads).put("vocab_size", vocab)
        .put("max_position_embeddings", context).put("rms_norm_eps", 1e-5).put("rope_theta", 10000.0)
        .put("tie_word_embeddings", false).put("bos_token_id", 1).put("eos_token_id", 2)
        .put("random_weights", true).encodePrettily());
    Files.writeString(out.resolve("tokenizer_config.json"), new JsonObject().put("bos_token", "<s>").put("eos_token", "</s>")
        .put("unk_token", "<unk>").put("add_bos_token", true).encodePrettily());
    Files.writeString(out.resolve("tokenizer.json"), tokenizer(vocab, rnd).encode());
  }

  /**
   * The same model as one llama-architecture GGUF file (float32), as llama.cpp's converter writes it:
   * its tensor names, Q and K rows in its rotary order, and the vocabulary as a SentencePiece one
   * (scores falling with the id, so the merges keep their order).
   */
  private static void writeGguf(Path out, Map<String, float[]> t, Map<String, long[]> shapes, int dim, int hidden, int layers,
                                int heads, int kvHeads, int context, JsonObject tokenizer) throws IOException {
    io.chatserver.inference.model.gguf.GgufWriter w = new io.chatserver.inference.model.gguf.GgufWriter();
    JsonObject vocab = tokenizer.getJsonObject("model").getJsonObject("vocab");
    String[] pieces = new String[vocab.size()];
    vocab.forEach(e -> pieces[((Number) e.getValue()).intValue()] = e.getKey());
    List<Object> tokens = new ArrayList<>();
    List<Object> scores = new ArrayList<>();
    List<Object> types = new ArrayList<>();
    for (int i = 0; i < pieces.length; i++) {
      tokens.add(pieces[i]);
      scores.add((float) -i);
      types.add(i < 3 ? 3 : i < 3 + 256 ? 6 : 1);
    }
    w.put("general.architecture", "llama").put("general.name", "random-weights")
        .put("llama.block_count", layers).put("llama.context_length", context).put("llama.embedding_length", dim)
        .put("llama.feed_forward_length", hidden).put("llama.attention.head_count", heads)
        .put("llama.attention.head_count_kv", kvHeads).put("llama.rope.freq_base", 10000f)
        .put("llama.attention.layer_norm_rms_epsilon", 1e-5f).put("llama.rope.dimension_count", dim / heads)
        .put("general.file_type", 0)
        .put("tokenizer.ggml.model", "llama").put("tokenizer.ggml.tokens", tokens).put("tokenizer.ggml.scores", scores)
        .put("tokenizer.ggml.token_type", types).put("tokenizer.ggml.bos_token_id", 1).put("tokenizer.ggml.eos_token_id", 2)
        .put("tokenizer.ggml.unknown_token_id", 0).put("tokenizer.ggml.add_bos_token", true);
    w.tensor("token_embd.weight", t.get("model.embed_tokens.weight"), shapes.get("model.embed_tokens.weight"));
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      String g = "blk." + l + ".";
      w.tensor(g + "attn_norm.weight", t.get(p + "input_layernorm.weight"), dim);
      w.tensor(g + "attn_q.weight", permute(t.get(p + "self_attn.q_proj.weight"), heads, dim), shapes.get(p + "self_attn.q_proj.weight"));
      w.tensor(g + "attn_k.weight", permute(t.get(p + "self_attn.k_proj.weight"), kvHeads, dim), shapes.get(p + "self_attn.k_proj.weight"));
      w.tensor(g + "attn_v.weight", t.get(p + "self_attn.v_proj.weight"), shapes.get(p + "self_attn.v_proj.weight"));
      w.tensor(g + "attn_output.weight", t.get(p + "self_attn.o_proj.weight"), shapes.get(p + "self_attn.o_proj.weight"));
      w.tensor(g + "ffn_norm.weight", t.get(p + "post_attention_layernorm.weight"), dim);
      w.tensor(g + "ffn_gate.weight", t.get(p + "mlp.gate_proj.weight"), shapes.get(p + "mlp.gate_proj.weight"));
      w.tensor(g + "ffn_up.weight", t.get(p + "mlp.up_proj.weight"), shapes.get(p + "mlp.up_proj.weight"));
      w.tensor(g + "ffn_down.weight", t.get(p + "mlp.down_proj.weight"), shapes.get(p + "mlp.down_proj.weight"));
    }
    w.tensor("output_norm.weight", t.get("model.norm.weight"), dim);
    w.tensor("output.weight", t.get("lm_head.weight"), shapes.get("lm_head.weight"));
    if (out.getParent() != null) {
      Files.createDirectories(out.getParent());
    }
    w.write(out);
  }

  /** llama.cpp's Q/K order: each head's rows [2, hd/2] become [hd/2, 2] (what GgufCheckpoint undoes). */
  private static float[] permute(float[] w, int heads, int cols) {
    int rows = w.length / cols;
    int hd = rows / heads;
    int half = hd / 2;
    float[] out = new float[w.length];
    for (int h = 0; h < heads; h++) {
      for (int j = 0; j < 2; j++) {
        for (int i = 0; i < half; i++) {
          System.arraycopy(w, (h * hd + j * half + i) * cols, out, (h * hd + i * 2 + j) * cols, cols);
        }
      }
    }
    return out;
  }

  /** A BPE tokenizer: specials, 256 byte tokens, printable characters, then random merges of earlier pieces. */
  static JsonObject tokenizer(int vocab, SplittableRandom rnd) {
    List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
    for (int b = 0; b < 256; b++) {
      pieces.add(String.format("<0x%02X>", b));
    }
    int base = pieces.size();
    Set<String> seen = new HashSet<>(pieces);
    String chars = "\u2581abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'";
    for (char c : chars.toCharArray()) {
      if (seen.add(String.valueOf(c))) {
        pieces.add(String.valueOf(c));
      }
    }
    JsonArray merges = new JsonArray();
    while (pieces.size() < vocab) {
      String a = pieces.get(base + rnd.nextInt(pieces.size() - base));
      String b = pieces.get(base + 1 + rnd.nextInt(chars.length() - 1));
      String ab = a + b;
      if (ab.length() <= 12 && seen.add(ab)) {
        pieces.add(ab);
        merges.add(a + " " + b);
      }
    }
    JsonObject v = new JsonObject();
    for (int i = 0; i < pieces.size(); i++) {
      v.put(pieces.get(i), i);
    }
    JsonArray added = new JsonArray();
    for (int i = 0; i < 3; i++) {
      added.add(new JsonObject().put("id", i).put("content", pieces.get(i)).put("single_word", false).put("lstrip", false)
          .put("rstrip", false).put("normalized", false).put("special", true));
    }
    return new JsonObject().put("version", "1.0").putNull("truncation").putNull("padding").put("added_tokens", added)
        .put("normalizer", new JsonObject().put("type", "Sequence").put("normalizers", new JsonArray()
            .add(new JsonObject().put("type", "Prepend").put("prepend", "\u2581"))
            .add(new JsonObject().put("type", "Replace").put("pattern", new JsonObject().put("String", " ")).put("content", "\u2581"))))
        .putNull("pre_tokenizer").putNull("post_processor")
        .put("decoder", new JsonObject().put("type", "Sequence").put("decoders", new JsonArray()
            .add(new JsonObject().put("type", "Replace").put("pattern", new JsonObject().put("String", "\u2581")).put("content", " "))
            .add(new JsonObject().put("type", "ByteFallback")).add(new JsonObject().put("type", "Fuse"))))
        .put("model", new JsonObject().put("type", "BPE").putNull("dropout").put("unk_token", "<unk>")
            .putNull("continuing_subword_prefix").putNull("end_of_word_suffix").put("fuse_unk", true).put("byte_fallback", true)
            .put("vocab", v).put("merges", merges));
  }

  private static void put(Map<String, float[]> t, Map<String, long[]> shapes, SplittableRandom rnd, String name, int rows,
                          int cols) {
    float[] w = new float[Math.multiplyExact(rows, cols)];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (rnd.nextGaussian() * 0.02);
    }
    t.put(name, w);
    shapes.put(name, new long[] {rows, cols});
  }

  private static void ones(Map<String, float[]> t, Map<String, long[]> shapes, String name, int n) {
    float[] w = new float[n];
    java.util.Arrays.fill(w, 1f);
    t.put(name, w);
    shapes.put(name, new long[] {n});
  }
}
