package io.chatserver.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Picks the next token of every row of a batch on the device: repetition penalty (gather/scatter
 * over each row's recent tokens), then argmax for greedy rows, or top-k on the device and the rest
 * (softmax, top-p, min-p, the draw) in Java over those k candidates only. Logits never leave the
 * device whole.
 */
final class Sampler {

  /** What the sampler needs of a row. */
  interface Row {
    SamplingParams params();

    /** The tokens the repetition penalty looks at (oldest first). */
    long[] recentTokens(int n);

    SplittableRandom random();
  }

  private Sampler() {}

  static long[] sample(NDManager manager, NDArray logits, List<? extends Row> rows, int vocab) {
    int b = rows.size();
    logits = applyRepeatPenalty(manager, logits, rows);
    return pick(manager, logits, rows, vocab, b);
  }

  private static long[] pick(NDManager manager, NDArray logits, List<? extends Row> rows, int vocab, int b) {
    long[] next = new long[b];
    boolean anyGreedy = false;
    int sampled = 0;
    int k = 1;
    for (Row r : rows) {
      if (r.params().greedy()) {
        anyGreedy = true;
      } else {
        sampled++;
        k = Math.max(k, r.params().topK() > 0 ? Math.min(r.params().topK(), vocab) : vocab);
      }
    }
    if (anyGreedy) {
      long[] argmax = logits.argMax(-1).toLongArray();
      for (int i = 0; i < b; i++) {
        next[i] = argmax[i];
      }
    }
    if (sampled == 0) {
      return next;
    }
    long[] which = new long[sampled];
    float[] invTemp = new float[sampled];
    int j = 0;
    for (int i = 0; i < b; i++) {
      if (!rows.get(i).params().greedy()) {
        which[j] = i;
        invTemp[j++] = (float) (1.0 / rows.get(i).params().temperature());
      }
    }
    NDArray sub = sampled == b ? logits : logits.get(new NDIndex("{}", manager.create(which)));
    sub = sub.mul(manager.create(invTemp, new Shape(sampled, 1)));
    NDList top = sub.topK(k, -1, true, true);
    float[] vals = top.get(0).toFloatArray();
    long[] idx = top.get(1).toLongArray();
    for (int s = 0; s < sampled; s++) {
      Row row = rows.get((int) which[s]);
      next[(int) which[s]] = draw(vals, idx, s * k, k, row.params(), row.random());
    }
    return next;
  }

  /**
   * Log probabilities under the model's own distribution (the logits before any penalty or
   * temperature, as vLLM reports them) of each row's chosen token and its {@code logprobs} best
   * alternatives; null for rows that did not ask. Only those rows' log-softmax is computed.
   */
  static GenerationListener.Token[] logprobs(NDManager manager, NDArray logits, List<? extends Row> rows, long[] chosen) {
    int b = rows.size();
    GenerationListener.Token[] out = new GenerationListener.Token[b];
    int k = -1;
    List<Integer> which = new java.util.ArrayList<>();
    for (int i = 0; i < b; i++) {
      if (rows.get(i).params().logprobs() >= 0) {
        which.add(i);
        k = Math.max(k, rows.get(i).params().logprobs());
      }
    }
    if (which.isEmpty()) {
      return out;
    }
    long[] idx = which.stream().mapToLong(Integer::longValue).toArray();
    NDArray sub = which.size() == b ? logits : logits.get(new NDIndex("{}", manager.create(idx)));
    NDArray logp = sub.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).logSoftmax(-1);
    long[] picked = new long[which.size()];
    for (int j = 0; j < picked.length; j++) {
      picked[j] = chosen[which.get(j)];
    }
    float[] chosenLp = logp.gather(manager.create(picked, new Shape(picked.length, 1)), 1).toFloatArray();
    float[] topVals = new float[0];
    long[] topIds = new long[0];
    int width = Math.max(1, k);
    if (k > 0) {
      NDList top = logp.topK(width, -1, true, true);
      topVals = top.get(0).toFloatArray();
      topIds = top.get(1).toLongArray();
    }
    for (int j = 0; j < picked.length; j++) {
      int n = rows.get(which.get(j)).params().logprobs();
      long[] ids = new long[Math.max(0, n)];
      double[] lps = new double[ids.length];
      for (int t = 0; t < ids.length; t++) {
        ids[t] = topIds[j * width + t];
        lps[t] = topVals[j * width + t];
      }
      out[which.get(j)] = new GenerationListener.Token(picked[j], chosenLp[j], ids, lps);
    }
    return out;
  }

  /** Softmax over the row's candidates (sorted, best first), top-k, top-p, min-p, then one draw. */
  static long draw(float[] vals, long[] idx, int off, int k, SamplingParams p, SplittableRandom rng) {
    int n = p.topK() > 0 ? Math.min(p.topK(), k) : k;
    double max = vals[off];
    double[] prob = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      prob[i] = Math.exp(vals[off + i] - max);
      sum += prob[i];
    }
    int keep = n;
    double cum = 0;
    for (int i = 0; i < n; i++) {
      prob[i] /= sum;
      if (p.minP() > 0 && prob[i] < p.minP() * prob[0] && i > 0) {
        keep = Math.min(keep, i);
      }
    }
    for (int i = 0; i < keep; i++) {
      cum += prob[i];
      if (cum >= p.topP()) {
        keep = i + 1;
        break;
      }
    }
    double total = 0;
    for (int i = 0; i < keep; i++) {
      total += prob[i];
    }
    double u = rng.nextDouble() * total;
    for (int i = 0; i < keep; i++) {
      u -= prob[i];
      if (u <= 0) {
        return idx[off + i];
      }
    }
    return idx[off + keep - 1];
  }

  /** llama.cpp's penalty: positive logits of recent tokens are divided by it, negative ones multiplied. */
  private static NDArray applyRepeatPenalty(NDManager manager, NDArray logits, List<? extends Row> rows) {
    int b = rows.size();
    long[][] recent = new long[b][];
    int width = 0;
    for (int i = 0; i < b; i++) {
      SamplingParams p = rows.get(i).params();
      recent[i] = p.repeatPenalty() == 1.0 || p.repeatLastN() == 0 ? new long[0] : rows.get(i).recentTokens(p.repeatLastN());
      width = Math.max(width, recent[i].length);
    }
    if (width == 0) {
      return logits;
    }
    long[] index = new long[b * width];
    float[] penalty = new float[b];
    for (int i = 0; i < b; i++) {
      penalty[i] = recent[i].length == 0 ? 1f : (float) rows.get(i).params().repeatPenalty();
      for (int c = 0; c < width; c++) {
        // short rows repeat a token they already list (or token 0 with penalty 1): scatter writes the same value
        index[i * width + c] = recent[i].length == 0 ? 0 : recent[i][c % recent[i].length];
      }
    }
    NDArray idx = manager.create(index, new Shape(b, width));
    NDArray pen = manager.create(penalty, new Shape(b, 1));
    NDArray g = logits.gather(idx, 1);
    NDArray penalized = NDArrays.where(g.gt(0), g.div(pen), g.mul(pen));
    return logits.scatter(idx, penalized, 1);
  }
}
