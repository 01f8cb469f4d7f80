package io.chatserver.inference.model.family;

import io.chatserver.inference.model.Rope;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Hugging Face {@code config.json}, read with checks: typed getters that name the key when a
 * value is missing or of the wrong type, and the RoPE settings in either style (v4's
 * {@code rope_theta} + {@code rope_scaling}, or v5's {@code rope_parameters}, flat or per layer type).
 */
public final class HfConfig {

  /** The RoPE types the decoder computes. */
  public static final List<String> ROPE_TYPES = List.of("default", "linear", "llama3", "longrope");

  private final JsonObject json;
  private final String where;

  public HfConfig(JsonObject json, String where) {
    this.json = json;
    this.where = where;
  }

  public JsonObject json() {
    return json;
  }

  public IllegalArgumentException error(String message) {
    return new IllegalArgumentException(where + ": " + message);
  }

  public boolean has(String key) {
    return json.getValue(key) != null;
  }

  public int positive(String key) {
    Object v = json.getValue(key);
    if (!(v instanceof Number n) || n.longValue() <= 0 || n.longValue() > Integer.MAX_VALUE || n.doubleValue() != n.longValue()) {
      throw error(key + " is missing or not a positive integer");
    }
    return n.intValue();
  }

  public int integer(String key, int dflt) {
    Object v = json.getValue(key);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Number n) || n.doubleValue() != n.longValue() || Math.abs(n.longValue()) > Integer.MAX_VALUE) {
      throw error(key + " must be an integer, not " + v);
    }
    return n.intValue();
  }

  public double number(String key, double dflt) {
    Object v = json.getValue(key);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      throw error(key + " must be a number, not " + v);
    }
    return n.doubleValue();
  }

  public boolean bool(String key, boolean dflt) {
    Object v = json.getValue(key);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Boolean b)) {
      throw error(key + " must be true or false, not " + v);
    }
    return b;
  }

  public String string(String key, String dflt) {
    Object v = json.getValue(key);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof String s)) {
      throw error(key + " must be a string, not " + v);
    }
    return s;
  }

  /** A list of per-layer strings (layer_types), or null when absent. */
  public List<String> strings(String key, int layers) {
    Object v = json.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonArray a) || a.size() < layers) {
      throw error(key + " must list at least " + layers + " entries");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      if (!(a.getValue(i) instanceof String s)) {
        throw error(key + "[" + i + "] must be a string");
      }
      out.add(s);
    }
    return out;
  }

  /** A list of per-layer integers (no_rope_layers), or null when absent. */
  public int[] integers(String key, int layers) {
    Object v = json.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonArray a) || a.size() < layers) {
      throw error(key + " must list at least " + layers + " entries");
    }
    int[] out = new int[layers];
    for (int i = 0; i < layers; i++) {
      if (!(a.getValue(i) instanceof Number n)) {
        throw error(key + "[" + i + "] must be a number");
      }
      out[i] = n.intValue();
    }
    return out;
  }

  /** Token ids written as a number or a list of numbers. */
  public List<Integer> ids(String key) {
    List<Integer> out = new ArrayList<>();
    Object v = json.getValue(key);
    if (v instanceof Number n) {
      out.add(n.intValue());
    } else if (v instanceof JsonArray a) {
      for (Object x : a) {
        if (x instanceof Number n) {
          out.add(n.intValue());
        }
      }
    }
    return out;
  }

  /**
   * The RoPE of layers of {@code layerType} (null: the model's one RoPE). In v5 style a
   * {@code rope_parameters} object keyed by layer type gives each type its own; in v4 style there
   * is one {@code rope_theta} and {@code rope_scaling}, and a family with a local base (Gemma 3)
   * passes it through {@code localTheta}.
   */
  public Rope rope(String layerType, Double localTheta) {
    JsonObject params = json.getValue("rope_parameters") instanceof JsonObject p ? p : null;
    JsonObject scaling;
    double theta;
    if (params != null) {
      if (layerType != null && params.getValue(layerType) instanceof JsonObject perType) {
        params = perType;
      }
      scaling = params;
      theta = new HfConfig(params, where + ": rope_parameters").number("rope_theta", number("rope_theta", 10000.0));
    } else {
      if (localTheta != null) {
        return Rope.standard(localTheta);
      }
      Object rs = json.getValue("rope_scaling");
      if (rs != null && !(rs instanceof JsonObject)) {
        throw error("rope_scaling must be an object, not " + rs);
      }
      scaling = (JsonObject) rs;
      theta = number("rope_theta", 10000.0);
    }
    if (theta <= 0) {
      throw error("rope_theta must be positive");
    }
    if (scaling == null) {
      return Rope.standard(theta);
    }
    HfConfig s = new HfConfig(scaling, where + ": rope scaling");
    String type = s.string("rope_type", s.string("type", "default"));
    int maxPos = integer("max_position_embeddings", 2048);
    switch (type) {
      case "default":
        return Rope.standard(theta);
      case "linear": {
        double factor = s.number("factor", 1.0);
        if (factor <= 0) {
          throw s.error("factor must be positive");
        }
        return new Rope("linear", theta, factor, 0, 0, 0, null, null, 1.0);
      }
      case "llama3": {
        double factor = s.number("factor", 8.0);
        double low = s.number("low_freq_factor", 1.0);
        double high = s.number("high_freq_factor", 4.0);
        int orig = s.integer("original_max_position_embeddings", 8192);
        if (factor <= 0 || low <= 0 || high <= low || orig <= 0) {
          throw s.error("llama3 rope scaling needs factor > 0 and 0 < low_freq_factor < high_freq_factor");
        }
        return new Rope("llama3", theta, factor, low, high, orig, null, null, 1.0);
      }
      case "longrope": {
        int orig = s.integer("original_max_position_embeddings", integer("original_max_position_embeddings", 0));
        if (orig <= 0) {
          throw s.error("longrope needs original_max_position_embeddings");
        }
        double factor = s.number("factor", (double) maxPos / orig);
        double attention = s.has("attention_factor") ? s.number("attention_factor", 1.0)
            : factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(orig));
        return new Rope("longrope", theta, factor, 0, 0, orig, s.factors("short_factor"), s.factors("long_factor"), attention);
      }
      default:
        throw error("rope type '" + type + "' is not supported (" + String.join(", ", ROPE_TYPES) + " are)");
    }
  }

  private double[] factors(String key) {
    Object v = json.getValue(key);
    if (!(v instanceof JsonArray a) || a.isEmpty() || a.size() > 65536) {
      throw error(key + " must be a list of numbers");
    }
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(a.getValue(i) instanceof Number n) || n.doubleValue() <= 0) {
        throw error(key + "[" + i + "] must be a positive number");
      }
      out[i] = n.doubleValue();
    }
    return out;
  }

  /** Every layer with the same RoPE. */
  public static Rope[] same(Rope rope, int layers) {
    Rope[] out = new Rope[layers];
    Arrays.fill(out, rope);
    return out;
  }
}
