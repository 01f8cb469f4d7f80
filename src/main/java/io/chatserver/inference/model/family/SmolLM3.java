package io.chatserver.inference.model.family;

import io.chatserver.inference.model.ModelConfig;

import java.util.List;

/**
 * SmolLM3: Llama where some layers have no rotary embedding at all (NoPE): {@code no_rope_layers[i]}
 * is 1 where layer i uses RoPE and 0 where it does not (default: every fourth layer is NoPE).
 */
final class SmolLM3 implements Family {

  @Override
  public List<String> modelTypes() {
    return List.of("smollm3");
  }

  @Override
  public void configure(HfConfig c, ModelConfig.Builder b) {
    Families.refuse(c, "attention_bias");
    Families.refuse(c, "mlp_bias");
    b.activation = Families.activation(c, "hidden_act", "silu");
    int[] useRope = c.integers("no_rope_layers", b.layers);
    int interval = c.integer("no_rope_layer_interval", 4);
    for (int i = 0; i < b.layers; i++) {
      boolean rope = useRope != null ? useRope[i] != 0 : interval <= 0 || (i + 1) % interval != 0;
      if (!rope) {
        b.ropes[i] = null;
      }
    }
    if (c.bool("use_sliding_window", false)) {
      b.slidingWindows = Families.windows(c, b.layers, c.integer("sliding_window", 0), i -> false);
    }
  }
}
