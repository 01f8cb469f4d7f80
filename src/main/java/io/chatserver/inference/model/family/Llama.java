package io.chatserver.inference.model.family;

import io.chatserver.inference.model.ModelConfig;

import java.util.List;

/** Llama 2/3.x: RMSNorm, RoPE (llama3 scaling included), grouped-query attention, SwiGLU; the base the others vary. */
final class Llama implements Family {

  @Override
  public List<String> modelTypes() {
    return List.of("llama");
  }

  @Override
  public void configure(HfConfig c, ModelConfig.Builder b) {
    Families.refuse(c, "attention_bias");
    Families.refuse(c, "mlp_bias");
    b.activation = Families.activation(c, "hidden_act", "silu");
  }
}
