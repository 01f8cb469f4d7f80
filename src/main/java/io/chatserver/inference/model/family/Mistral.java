package io.chatserver.inference.model.family;

import io.chatserver.inference.model.ModelConfig;

import java.util.Arrays;
import java.util.List;

/** Mistral: Llama with every layer attending over a sliding window ({@code sliding_window}, when set). */
final class Mistral implements Family {

  @Override
  public List<String> modelTypes() {
    return List.of("mistral");
  }

  @Override
  public void configure(HfConfig c, ModelConfig.Builder b) {
    b.activation = Families.activation(c, "hidden_act", "silu");
    int window = c.integer("sliding_window", 0);
    b.slidingWindows = new int[b.layers];
    Arrays.fill(b.slidingWindows, Math.max(0, window));
  }
}
