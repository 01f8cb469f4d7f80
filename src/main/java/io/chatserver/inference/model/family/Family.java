package io.chatserver.inference.model.family;

import io.chatserver.inference.model.ModelConfig;

import java.util.List;

/**
 * One model family: how its {@code config.json} knobs become the decoder's settings. The shape,
 * norm epsilon, positions, tying, BOS/EOS and the global RoPE are read for every family before
 * {@link #configure} runs; an adapter adds only what its family does differently. Adding a family
 * means one such class, listed in {@link Families}, and a fixture.
 */
public interface Family {

  /** The {@code model_type} values this adapter reads. */
  List<String> modelTypes();

  /** Sets the family's knobs; an unsupported one is an {@link IllegalArgumentException} naming it. */
  void configure(HfConfig c, ModelConfig.Builder b);
}
