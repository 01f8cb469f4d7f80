package io.chatserver.inference.model.family;

import io.chatserver.inference.model.ModelConfig;

import java.util.Arrays;
import java.util.List;

/**
 * Phi-3 / 3.5: Llama with fused {@code qkv_proj} and {@code gate_up_proj} weights (split at load),
 * LongRoPE, and a sliding window on every layer when {@code sliding_window} is set.
 */
final class Phi3 implements Family {

  @Override
  public List<String> modelTypes() {
    return List.of("phi3");
  }

  @Override
  public void configure(HfConfig c, ModelConfig.Builder b) {
    b.activation = Families.activation(c, "hidden_act", "silu");
    b.fusedQkv = true;
    b.fusedGateUp = true;
    int window = c.integer("sliding_window", 0);
    b.slidingWindows = new int[b.layers];
    Arrays.fill(b.slidingWindows, Math.max(0, window));
  }
}
