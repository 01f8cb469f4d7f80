package io.chatserver.inference.model.family;

import io.chatserver.inference.model.ModelConfig;

import java.util.List;

/**
 * Gemma 2: (1 + w) RMSNorm, embeddings times sqrt(hidden), norms before and after attention and
 * the MLP, GELU (tanh) gate, q.k scaled by {@code query_pre_attn_scalar}^-0.5, tanh soft-capping
 * of attention scores and of the output logits, and a sliding window on every other layer.
 */
final class Gemma2 implements Family {

  @Override
  public List<String> modelTypes() {
    return List.of("gemma2");
  }

  @Override
  public void configure(HfConfig c, ModelConfig.Builder b) {
    gemma(c, b);
    b.attnSoftcap = c.number("attn_logit_softcapping", 0.0);
    b.finalSoftcap = c.number("final_logit_softcapping", 0.0);
    b.slidingWindows = Families.windows(c, b.layers, c.integer("sliding_window", 4096), i -> (i + 1) % 2 != 0);
  }

  /** What Gemma 2 and 3 share. */
  static void gemma(HfConfig c, ModelConfig.Builder b) {
    b.normPlusOne = true;
    b.embedScale = Math.sqrt(b.hiddenSize);
    b.sandwichNorms = true;
    b.activation = Families.activation(c, c.has("hidden_activation") ? "hidden_activation" : "hidden_act", "gelu_pytorch_tanh");
    b.attnScale = Math.pow(c.number("query_pre_attn_scalar", b.headDim), -0.5);
    b.tiedEmbeddings = c.bool("tie_word_embeddings", true);
  }
}
