package io.chatserver.inference.model.family;

import io.chatserver.inference.model.ModelConfig;

import java.util.List;

/** Qwen 3: Qwen 2 without the q/k/v biases (unless attention_bias), with an RMSNorm on each query and key head. */
final class Qwen3 implements Family {

  @Override
  public List<String> modelTypes() {
    return List.of("qwen3");
  }

  @Override
  public void configure(HfConfig c, ModelConfig.Builder b) {
    b.activation = Families.activation(c, "hidden_act", "silu");
    b.qkvBias = c.bool("attention_bias", false);
    b.qkNorm = true;
    b.slidingWindows = Qwen2.qwenWindows(c, b.layers);
  }
}
