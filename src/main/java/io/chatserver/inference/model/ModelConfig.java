package io.chatserver.inference.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The architecture of a Hugging Face Llama-family checkpoint, from its {@code config.json}
 * (and {@code generation_config.json} for end-of-sequence ids). Llama and Mistral share it;
 * Qwen2 adds biases on q/k/v ({@code attention_bias}, or implied by {@code model_type: qwen2}).
 */
public record ModelConfig(String modelType, int hiddenSize, int intermediateSize, int layers, int heads, int kvHeads,
                          int headDim, int vocabSize, double rmsNormEps, double ropeTheta, JsonObject ropeScaling,
                          int maxPositions, boolean tiedEmbeddings, boolean qkvBias, Integer bosId, List<Integer> eosIds) {

  public static ModelConfig read(Path dir) throws IOException {
    Path file = dir.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is missing: a model directory needs config.json");
    }
    JsonObject c = new JsonObject(Files.readString(file));
    JsonObject gen = Files.isRegularFile(dir.resolve("generation_config.json"))
        ? new JsonObject(Files.readString(dir.resolve("generation_config.json"))) : new JsonObject();
    return parse(c, gen, file);
  }

  static ModelConfig parse(JsonObject c, JsonObject gen, Path file) throws IOException {
    String type = c.getString("model_type", "llama");
    if (!List.of("llama", "mistral", "qwen2").contains(type)) {
      throw new IOException(file + ": model_type '" + type + "' is not supported (llama, mistral, qwen2 are)");
    }
    int hidden = need(c, "hidden_size", file);
    int heads = need(c, "num_attention_heads", file);
    int kv = c.getInteger("num_key_value_heads", heads);
    int headDim = c.getInteger("head_dim", hidden / heads);
    if (heads % kv != 0) {
      throw new IOException(file + ": num_attention_heads must be a multiple of num_key_value_heads");
    }
    List<Integer> eos = ids(gen.getValue("eos_token_id"));
    if (eos.isEmpty()) {
      eos = ids(c.getValue("eos_token_id"));
    }
    Object bos = gen.getValue("bos_token_id") != null ? gen.getValue("bos_token_id") : c.getValue("bos_token_id");
    return new ModelConfig(type, hidden, need(c, "intermediate_size", file), need(c, "num_hidden_layers", file), heads, kv,
        headDim, need(c, "vocab_size", file), c.getDouble("rms_norm_eps", 1e-6), c.getDouble("rope_theta", 10000.0),
        c.getJsonObject("rope_scaling"), c.getInteger("max_position_embeddings", 2048),
        c.getBoolean("tie_word_embeddings", false), c.getBoolean("attention_bias", type.equals("qwen2")),
        bos instanceof Number n ? n.intValue() : null, eos);
  }

  private static int need(JsonObject c, String key, Path file) throws IOException {
    Integer v = c.getInteger(key);
    if (v == null || v <= 0) {
      throw new IOException(file + ": " + key + " is missing or not a positive integer");
    }
    return v;
  }

  private static List<Integer> ids(Object v) {
    List<Integer> out = new ArrayList<>();
    if (v instanceof Number n) {
      out.add(n.intValue());
    } else if (v instanceof JsonArray a) {
      a.forEach(x -> out.add(((Number) x).intValue()));
    }
    return out;
  }

  public int groups() {
    return heads / kvHeads;
  }

  /** The parameters every decode step reads and multiplies: the layers' matrices and the output head (not the embedding lookup). */
  public long matmulParams() {
    long q = (long) heads * headDim;
    long kv = (long) kvHeads * headDim;
    long perLayer = hiddenSize * (q + 2 * kv) + q * hiddenSize + 3L * hiddenSize * intermediateSize;
    return layers * perLayer + (long) vocabSize * hiddenSize;
  }
}
