package io.chatserver.inference.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a llama2.c checkpoint and tokenizer into a Hugging Face-format model directory
 * (config.json, model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json),
 * like llama.cpp's llama2.c converter. The server then loads it through the ordinary HF path.
 *
 * <p>llama2.c rotates adjacent pairs in RoPE while HF Llama rotates halves, so the rows of wq and
 * wk are permuted per head (HF's own converter does the same). The tokenizer becomes a BPE model
 * with byte fallback whose merges are ranked by the llama2.c piece scores, so both encode alike.
 */
public final class Llama2cImporter {

  private Llama2cImporter() {}

  /** A checkpoint header: 7 little-endian int32. A negative vocab size means a separate output head. */
  record Header(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, boolean shared, int seqLen) {
    int headDim() {
      return dim / heads;
    }
  }

  public static void convert(Path checkpoint, Path tokenizer, Path outDir) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(checkpoint)).order(ByteOrder.LITTLE_ENDIAN);
    int dim = buf.getInt();
    int hidden = buf.getInt();
    int layers = buf.getInt();
    int heads = buf.getInt();
    int kvHeads = buf.getInt();
    int vocab = buf.getInt();
    int seqLen = buf.getInt();
    if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || seqLen <= 0 || dim % heads != 0) {
      throw new IOException(checkpoint + " does not start with a llama2.c header");
    }
    Header h = new Header(dim, hidden, layers, heads, kvHeads, Math.abs(vocab), vocab > 0, seqLen);
    int hd = h.headDim();
    int kvDim = kvHeads * hd;
    Map<String, float[]> t = new LinkedHashMap<>();
    Map<String, long[]> shapes = new HashMap<>();
    float[] embed = floats(buf, (long) h.vocab() * dim, checkpoint);
    float[][] rmsAtt = perLayer(buf, layers, dim, checkpoint);
    float[][] wq = perLayer(buf, layers, dim * dim, checkpoint);
    float[][] wk = perLayer(buf, layers, kvDim * dim, checkpoint);
    float[][] wv = perLayer(buf, layers, kvDim * dim, checkpoint);
    float[][] wo = perLayer(buf, layers, dim * dim, checkpoint);
    float[][] rmsFfn = perLayer(buf, layers, dim, checkpoint);
    float[][] w1 = perLayer(buf, layers, hidden * dim, checkpoint);
    float[][] w2 = perLayer(buf, layers, dim * hidden, checkpoint);
    float[][] w3 = perLayer(buf, layers, hidden * dim, checkpoint);
    float[] rmsFinal = floats(buf, dim, checkpoint);
    // two unused RoPE frequency tables
    floats(buf, (long) seqLen * hd / 2, checkpoint);
    floats(buf, (long) seqLen * hd / 2, checkpoint);
    float[] wcls = h.shared() ? null : floats(buf, (long) h.vocab() * dim, checkpoint);

    put(t, shapes, "model.embed_tokens.weight", embed, h.vocab(), dim);
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      put(t, shapes, p + "input_layernorm.weight", rmsAtt[l], dim);
      put(t, shapes, p + "self_attn.q_proj.weight", permuteRows(wq[l], heads, hd, dim), dim, dim);
      put(t, shapes, p + "self_attn.k_proj.weight", permuteRows(wk[l], kvHeads, hd, dim), kvDim, dim);
      put(t, shapes, p + "self_attn.v_proj.weight", wv[l], kvDim, dim);
      put(t, shapes, p + "self_attn.o_proj.weight", wo[l], dim, dim);
      put(t, shapes, p + "post_attention_layernorm.weight", rmsFfn[l], dim);
      put(t, shapes, p + "mlp.gate_proj.weight", w1[l], hidden, dim);
      put(t, shapes, p + "mlp.down_proj.weight", w2[l], dim, hidden);
      put(t, shapes, p + "mlp.up_proj.weight", w3[l], hidden, dim);
    }
    put(t, shapes, "model.norm.weight", rmsFinal, dim);
    if (wcls != null) {
      put(t, shapes, "lm_head.weight", wcls, h.vocab(), dim);
    }
    Files.createDirectories(outDir);
    Safetensors.writeF32(outDir.resolve("model.safetensors"), t, shapes);
    Files.writeString(outDir.resolve("config.json"), config(h).encodePrettily());
    Files.writeString(outDir.resolve("generation_config.json"),
        new JsonObject().put("bos_token_id", 1).put("eos_token_id", 2).encodePrettily());
    Files.writeString(outDir.resolve("tokenizer_config.json"), new JsonObject()
        .put("tokenizer_class", "LlamaTokenizer").put("bos_token", "<s>").put("eos_token", "</s>").put("unk_token", "<unk>")
        .put("add_bos_token", true).put("add_eos_token", false).put("model_max_length", seqLen).encodePrettily());
    Files.writeString(outDir.resolve("tokenizer.json"), tokenizerJson(tokenizer, h.vocab()).encode());
  }

  static JsonObject config(Header h) {
    return new JsonObject()
        .put("architectures", new JsonArray().add("LlamaForCausalLM"))
        .put("model_type", "llama")
        .put("hidden_size", h.dim())
        .put("intermediate_size", h.hidden())
        .put("num_hidden_layers", h.layers())
        .put("num_attention_heads", h.heads())
        .put("num_key_value_heads", h.kvHeads())
        .put("vocab_size", h.vocab())
        .put("max_position_embeddings", h.seqLen())
        .put("rms_norm_eps", 1e-5)
        .put("rope_theta", 10000.0)
        .put("hidden_act", "silu")
        .put("tie_word_embeddings", h.shared())
        .put("bos_token_id", 1)
        .put("eos_token_id", 2)
        .put("torch_dtype", "float32");
  }

  /** HF's permute(): in each head, row 2i+c (adjacent-pair layout) moves to c*hd/2 + i (rotate-half layout). */
  static float[] permuteRows(float[] w, int heads, int hd, int cols) {
    float[] out = new float[w.length];
    int half = hd / 2;
    for (int head = 0; head < heads; head++) {
      for (int i = 0; i < half; i++) {
        for (int c = 0; c < 2; c++) {
          int from = head * hd + 2 * i + c;
          int to = head * hd + c * half + i;
          System.arraycopy(w, from * cols, out, to * cols, cols);
        }
      }
    }
    return out;
  }

  /** A Llama-style tokenizer.json: BPE with byte fallback over "▁"-for-space pieces, merges ranked by score. */
  static JsonObject tokenizerJson(Path tokenizer, int vocabSize) throws IOException {
    ByteBuffer tb = ByteBuffer.wrap(Files.readAllBytes(tokenizer)).order(ByteOrder.LITTLE_ENDIAN);
    tb.getInt(); // max token length
    String[] pieces = new String[vocabSize];
    float[] scores = new float[vocabSize];
    for (int i = 0; i < vocabSize; i++) {
      if (tb.remaining() < 8) {
        throw new IOException(tokenizer + " ends after " + i + " of " + vocabSize + " tokens");
      }
      scores[i] = tb.getFloat();
      byte[] bytes = new byte[tb.getInt()];
      tb.get(bytes);
      pieces[i] = new String(bytes, StandardCharsets.UTF_8);
    }
    pieces[0] = "<unk>";
    pieces[1] = "<s>";
    pieces[2] = "</s>";
    JsonObject vocab = new JsonObject();
    Map<String, Integer> ids = new HashMap<>();
    for (int i = 0; i < vocabSize; i++) {
      String piece = i >= 3 && i < 259 ? String.format("<0x%02X>", i - 3) : pieces[i].replace(' ', '\u2581');
      pieces[i] = piece;
      if (!ids.containsKey(piece)) {
        ids.put(piece, i);
        vocab.put(piece, i);
      }
    }
    record Merge(String a, String b, float score, int id) {}
    List<Merge> merges = new ArrayList<>();
    for (int i = 259; i < vocabSize; i++) {
      String piece = pieces[i];
      int[] cps = piece.codePoints().toArray();
      for (int k = 1; k < cps.length; k++) {
        String a = new String(cps, 0, k);
        String b = new String(cps, k, cps.length - k);
        if (ids.containsKey(a) && ids.containsKey(b)) {
          merges.add(new Merge(a, b, scores[i], i));
        }
      }
    }
    merges.sort((x, y) -> x.score() != y.score() ? Float.compare(y.score(), x.score()) : Integer.compare(x.id(), y.id()));
    JsonArray mergeList = new JsonArray();
    merges.forEach(m -> mergeList.add(m.a() + " " + m.b()));
    JsonArray added = new JsonArray();
    for (int i = 0; i < 3; i++) {
      added.add(new JsonObject().put("id", i).put("content", pieces[i]).put("single_word", false).put("lstrip", false)
          .put("rstrip", false).put("normalized", false).put("special", true));
    }
    return new JsonObject()
        .put("version", "1.0")
        .putNull("truncation")
        .putNull("padding")
        .put("added_tokens", added)
        .put("normalizer", new JsonObject().put("type", "Sequence").put("normalizers", new JsonArray()
            .add(new JsonObject().put("type", "Prepend").put("prepend", "\u2581"))
            .add(new JsonObject().put("type", "Replace").put("pattern", new JsonObject().put("String", " "))
                .put("content", "\u2581"))))
        .putNull("pre_tokenizer")
        .putNull("post_processor")
        .put("decoder", new JsonObject().put("type", "Sequence").put("decoders", new JsonArray()
            .add(new JsonObject().put("type", "Replace").put("pattern", new JsonObject().put("String", "\u2581"))
                .put("content", " "))
            .add(new JsonObject().put("type", "ByteFallback"))
            .add(new JsonObject().put("type", "Fuse"))
            .add(new JsonObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0))))
        .put("model", new JsonObject()
            .put("type", "BPE")
            .putNull("dropout")
            .put("unk_token", "<unk>")
            .putNull("continuing_subword_prefix")
            .putNull("end_of_word_suffix")
            .put("fuse_unk", true)
            .put("byte_fallback", true)
            .put("vocab", vocab)
            .put("merges", mergeList));
  }

  private static void put(Map<String, float[]> t, Map<String, long[]> shapes, String name, float[] data, long... shape) {
    t.put(name, data);
    shapes.put(name, shape);
  }

  private static float[][] perLayer(ByteBuffer buf, int layers, int size, Path file) throws IOException {
    float[][] out = new float[layers][];
    for (int l = 0; l < layers; l++) {
      out[l] = floats(buf, size, file);
    }
    return out;
  }

  private static float[] floats(ByteBuffer buf, long n, Path file) throws IOException {
    if (buf.remaining() < n * 4) {
      throw new IOException(file + " is truncated: the header promises more weights than the file holds");
    }
    float[] out = new float[Math.toIntExact(n)];
    buf.asFloatBuffer().get(out);
    buf.position(buf.position() + out.length * 4);
    return out;
  }
}
