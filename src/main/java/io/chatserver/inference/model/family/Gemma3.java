package io.chatserver.inference.model.family;

import io.chatserver.inference.model.ModelConfig;
import io.chatserver.inference.model.Rope;

import java.util.List;

/**
 * Gemma 3 (text, and the text part of multimodal {@code gemma3} checkpoints): Gemma 2's layers
 * with an RMSNorm on each query and key head, {@code layer_types} (or
 * {@code sliding_window_pattern}) for the sliding layers, which use the local RoPE base
 * ({@code rope_local_base_freq}) while the global layers use {@code rope_theta} with its scaling.
 */
final class Gemma3 implements Family {

  @Override
  public List<String> modelTypes() {
    return List.of("gemma3_text", "gemma3");
  }

  @Override
  public void configure(HfConfig c, ModelConfig.Builder b) {
    Gemma2.gemma(c, b);
    b.qkNorm = true;
    b.attnSoftcap = c.number("attn_logit_softcapping", 0.0);
    b.finalSoftcap = c.number("final_logit_softcapping", 0.0);
    int pattern = c.integer("sliding_window_pattern", 6);
    b.slidingWindows = Families.windows(c, b.layers, c.integer("sliding_window", 4096),
        i -> pattern <= 0 || (i + 1) % pattern != 0);
    Rope global = c.rope("full_attention", null);
    Rope local = c.rope("sliding_attention", c.number("rope_local_base_freq", 10000.0));
    b.ropes = new Rope[b.layers];
    for (int i = 0; i < b.layers; i++) {
      b.ropes[i] = b.slidingWindows[i] > 0 ? local : global;
    }
    if (b.modelType.equals("gemma3")) {
      b.weightPrefix = "language_model.model.";
    }
  }
}
