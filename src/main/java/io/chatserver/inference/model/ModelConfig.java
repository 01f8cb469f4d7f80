package io.chatserver.inference.model;

import java.util.Arrays;
import java.util.List;

/**
 * What the decoder needs to know about a checkpoint: its shape, and the knobs in which the
 * families differ (read from {@code config.json} by the family's adapter in
 * {@code inference.model.family}, or from a GGUF file's metadata).
 *
 * @param ropes          per layer, its rotary embedding; null for a layer without one (NoPE)
 * @param slidingWindows per layer, how many positions a query sees (itself included); 0 for all
 * @param normPlusOne    RMSNorm multiplies by (1 + w) (Gemma) instead of w
 * @param embedScale     the embeddings are multiplied by this on the way in (Gemma: sqrt(hidden))
 * @param sandwichNorms  norms after attention and after the MLP too (Gemma 2/3)
 * @param activation     the MLP's gate activation: "silu" or "gelu_tanh"
 * @param qkNorm         RMSNorm of each query and key head before RoPE (Qwen 3, Gemma 3)
 * @param attnScale      the factor of q.k (1/sqrt(head_dim), or Gemma's query_pre_attn_scalar^-0.5)
 * @param attnSoftcap    cap * tanh(score / cap) on attention scores; 0 for none
 * @param finalSoftcap   the same on the output logits; 0 for none
 * @param weightPrefix   where the decoder's tensors are ("model." usually)
 * @param fusedQkv       one qkv_proj tensor instead of q/k/v (Phi-3)
 * @param fusedGateUp    one gate_up_proj tensor instead of gate/up (Phi-3)
 */
public record ModelConfig(String modelType, int hiddenSize, int intermediateSize, int layers, int heads, int kvHeads,
                          int headDim, int vocabSize, double rmsNormEps, int maxPositions, boolean tiedEmbeddings,
                          boolean qkvBias, Integer bosId, List<Integer> eosIds, Rope[] ropes, int[] slidingWindows,
                          boolean normPlusOne, double embedScale, boolean sandwichNorms, String activation, boolean qkNorm,
                          double attnScale, double attnSoftcap, double finalSoftcap, String weightPrefix, boolean fusedQkv,
                          boolean fusedGateUp) {

  public int groups() {
    return heads / kvHeads;
  }

  /** The parameters every decode step reads and multiplies: the layers' matrices and the output head (not the embedding lookup). */
  public long matmulParams() {
    long q = (long) heads * headDim;
    long kv = (long) kvHeads * headDim;
    long perLayer = hiddenSize * (q + 2 * kv) + q * hiddenSize + 3L * hiddenSize * intermediateSize;
    return layers * perLayer + (long) vocabSize * hiddenSize;
  }

  /** True when some layer attends over a sliding window. */
  public boolean slides() {
    return Arrays.stream(slidingWindows).anyMatch(w -> w > 0);
  }

  /** A builder with Llama's defaults for every knob. */
  public static Builder builder() {
    return new Builder();
  }

  /** Collects the shape and knobs; {@link #build()} checks that they fit together. */
  public static final class Builder {
    public String modelType = "llama";
    public int hiddenSize;
    public int intermediateSize;
    public int layers;
    public int heads;
    public int kvHeads;
    public int headDim;
    public int vocabSize;
    public double rmsNormEps = 1e-6;
    public int maxPositions = 2048;
    public boolean tiedEmbeddings;
    public boolean qkvBias;
    public Integer bosId;
    public List<Integer> eosIds = List.of();
    public Rope[] ropes;
    public int[] slidingWindows;
    public boolean normPlusOne;
    public double embedScale = 1.0;
    public boolean sandwichNorms;
    public String activation = "silu";
    public boolean qkNorm;
    public Double attnScale;
    public double attnSoftcap;
    public double finalSoftcap;
    public String weightPrefix = "model.";
    public boolean fusedQkv;
    public boolean fusedGateUp;

    public ModelConfig build() {
      if (hiddenSize <= 0 || intermediateSize <= 0 || layers <= 0 || heads <= 0 || vocabSize <= 0) {
        throw new IllegalArgumentException("hidden_size, intermediate_size, num_hidden_layers, num_attention_heads and "
            + "vocab_size must be positive");
      }
      if (kvHeads <= 0) {
        kvHeads = heads;
      }
      if (headDim <= 0) {
        headDim = hiddenSize / heads;
      }
      if (heads % kvHeads != 0) {
        throw new IllegalArgumentException("num_attention_heads (" + heads + ") must be a multiple of num_key_value_heads ("
            + kvHeads + ")");
      }
      if (headDim % 2 != 0) {
        throw new IllegalArgumentException("head_dim must be even for rotary embeddings, not " + headDim);
      }
      if (layers > 1024 || heads > 4096 || headDim > 4096 || hiddenSize > 1 << 20 || vocabSize > 1 << 24) {
        throw new IllegalArgumentException("the model's shape is out of range (layers " + layers + ", heads " + heads
            + ", head_dim " + headDim + ", hidden " + hiddenSize + ", vocab " + vocabSize + ")");
      }
      if (ropes == null) {
        ropes = new Rope[layers];
        Arrays.fill(ropes, Rope.standard(10000.0));
      }
      if (slidingWindows == null) {
        slidingWindows = new int[layers];
      }
      if (ropes.length != layers || slidingWindows.length != layers) {
        throw new IllegalArgumentException("per-layer settings must list " + layers + " layers");
      }
      double scale = attnScale != null ? attnScale : 1.0 / Math.sqrt(headDim);
      return new ModelConfig(modelType, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim, vocabSize, rmsNormEps,
          maxPositions, tiedEmbeddings, qkvBias, bosId, eosIds, ropes, slidingWindows, normPlusOne, embedScale, sandwichNorms,
          activation, qkNorm, scale, attnSoftcap, finalSoftcap, weightPrefix, fusedQkv, fusedGateUp);
    }
  }
}
