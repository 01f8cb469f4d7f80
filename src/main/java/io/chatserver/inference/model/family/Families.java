package io.chatserver.inference.model.family;

import io.chatserver.inference.model.ModelConfig;
import io.chatserver.inference.model.Rope;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The model families the decoder serves, by {@code model_type}, and the reading of a model folder's config. */
public final class Families {

  private static final List<Family> ALL = List.of(new Llama(), new Mistral(), new Qwen2(), new Qwen3(), new Phi3(),
      new Gemma2(), new Gemma3(), new SmolLM3());

  private static final Map<String, Family> BY_TYPE = new LinkedHashMap<>();

  static {
    for (Family f : ALL) {
      for (String t : f.modelTypes()) {
        BY_TYPE.put(t, f);
      }
    }
  }

  private Families() {}

  /** The supported model_type values, for error messages and the README. */
  public static List<String> supported() {
    return new ArrayList<>(BY_TYPE.keySet());
  }

  /** {@code config.json} (and {@code generation_config.json} for end-of-sequence ids) of a model folder. */
  public static ModelConfig read(Path dir) throws IOException {
    Path file = dir.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is missing: a model directory needs config.json");
    }
    if (Files.size(file) > 16 << 20) {
      throw new IOException(file + " is larger than 16 MB");
    }
    JsonObject gen = new JsonObject();
    Path genFile = dir.resolve("generation_config.json");
    try {
      JsonObject c = new JsonObject(Files.readString(file));
      if (Files.isRegularFile(genFile) && Files.size(genFile) < 1 << 20) {
        gen = new JsonObject(Files.readString(genFile));
      }
      return parse(c, gen, file.toString());
    } catch (io.vertx.core.json.DecodeException e) {
      throw new IOException(file + " is not valid JSON: " + e.getMessage());
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** A config object as the decoder needs it; anything it cannot serve is an {@link IllegalArgumentException} naming it. */
  public static ModelConfig parse(JsonObject json, JsonObject generation, String where) {
    HfConfig c = new HfConfig(json, where);
    String type = c.string("model_type", "llama");
    Family family = BY_TYPE.get(type);
    if (family == null) {
      throw c.error("model_type '" + type + "' is not supported (" + String.join(", ", supported()) + " are)");
    }
    if (type.equals("gemma3") && json.getValue("text_config") instanceof JsonObject text) {
      // a Gemma 3 multimodal checkpoint: its text part is a gemma3_text model under language_model
      JsonObject t = text.copy();
      t.put("model_type", "gemma3_text");
      for (String k : List.of("bos_token_id", "eos_token_id")) {
        if (t.getValue(k) == null && json.getValue(k) != null) {
          t.put(k, json.getValue(k));
        }
      }
      c = new HfConfig(t, where + ": text_config");
    }
    ModelConfig.Builder b = ModelConfig.builder();
    b.modelType = type;
    b.hiddenSize = c.positive("hidden_size");
    b.intermediateSize = c.positive("intermediate_size");
    b.layers = c.positive("num_hidden_layers");
    b.heads = c.positive("num_attention_heads");
    b.kvHeads = c.integer("num_key_value_heads", b.heads);
    b.headDim = c.integer("head_dim", b.hiddenSize / b.heads);
    b.vocabSize = c.positive("vocab_size");
    b.rmsNormEps = c.number("rms_norm_eps", 1e-6);
    b.maxPositions = c.integer("max_position_embeddings", 2048);
    b.tiedEmbeddings = c.bool("tie_word_embeddings", false);
    HfConfig g = new HfConfig(generation, where + " (generation_config.json)");
    b.eosIds = g.ids("eos_token_id").isEmpty() ? c.ids("eos_token_id") : g.ids("eos_token_id");
    Object bos = generation.getValue("bos_token_id") != null ? generation.getValue("bos_token_id") : c.json().getValue("bos_token_id");
    b.bosId = bos instanceof Number n ? n.intValue() : null;
    if (c.number("partial_rotary_factor", 1.0) != 1.0) {
      throw c.error("partial_rotary_factor " + c.number("partial_rotary_factor", 1.0) + " is not supported (only 1.0)");
    }
    b.ropes = HfConfig.same(c.rope(null, null), b.layers);
    family.configure(c, b);
    ModelConfig cfg;
    try {
      cfg = b.build();
    } catch (IllegalArgumentException e) {
      throw c.error(e.getMessage());
    }
    for (Rope r : cfg.ropes()) {
      if (r != null && r.hasLong() && (r.shortFactor().length != cfg.headDim() / 2 || r.longFactor().length != cfg.headDim() / 2)) {
        throw c.error("longrope's short_factor and long_factor must have head_dim / 2 = " + cfg.headDim() / 2 + " entries");
      }
    }
    return cfg;
  }

  /** The activation an MLP names ({@code hidden_act} / {@code hidden_activation}) as the decoder knows it. */
  static String activation(HfConfig c, String key, String dflt) {
    String act = c.string(key, dflt);
    return switch (act) {
      case "silu", "swish" -> "silu";
      case "gelu_pytorch_tanh", "gelu_tanh", "gelu_new", "gelu_fast" -> "gelu_tanh";
      default -> throw c.error(key + " '" + act + "' is not supported (silu, gelu_pytorch_tanh are)");
    };
  }

  /** Refuses a Llama-style knob the decoder does not compute. */
  static void refuse(HfConfig c, String key) {
    if (c.bool(key, false)) {
      throw c.error(key + " true is not supported");
    }
  }

  /**
   * Sliding windows from {@code layer_types} ("sliding_attention" / "full_attention"), or from a
   * default pattern when the config has none ({@code sliding[i]}).
   */
  static int[] windows(HfConfig c, int layers, int window, java.util.function.IntPredicate sliding) {
    List<String> types = c.strings("layer_types", layers);
    int[] out = new int[layers];
    for (int i = 0; i < layers; i++) {
      boolean slides = types != null ? "sliding_attention".equals(types.get(i)) : sliding.test(i);
      out[i] = slides ? window : 0;
    }
    return out;
  }
}
