package io.chatserver.inference.model.family;

import io.chatserver.inference.model.ModelConfig;

import java.util.List;

/**
 * Qwen 2 / 2.5: Llama with biases on q, k and v; with {@code use_sliding_window}, the layers from
 * {@code max_window_layers} on attend over {@code sliding_window}.
 */
final class Qwen2 implements Family {

  @Override
  public List<String> modelTypes() {
    return List.of("qwen2");
  }

  @Override
  public void configure(HfConfig c, ModelConfig.Builder b) {
    b.activation = Families.activation(c, "hidden_act", "silu");
    b.qkvBias = true;
    b.slidingWindows = qwenWindows(c, b.layers);
  }

  static int[] qwenWindows(HfConfig c, int layers) {
    if (!c.bool("use_sliding_window", false)) {
      return new int[layers];
    }
    int window = c.integer("sliding_window", 0);
    int from = c.integer("max_window_layers", layers);
    return Families.windows(c, layers, Math.max(0, window), i -> i >= from);
  }
}
