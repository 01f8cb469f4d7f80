package io.chatserver.inference.engine;

import java.util.SplittableRandom;

/** One job inside the scheduler: its prompt, cache position, sampling state and text stream. */
final class Sequence implements Sampler.Row {

  final String jobId;
  final long[] prompt;
  final SamplingParams params;
  final GenerationListener listener;
  final TextStream text;
  final SplittableRandom random;
  final long submittedNanos = System.nanoTime();
  long firstTokenNanos;
  long[] tokens;          // prompt + generated
  int length;             // how many of tokens are valid
  int prefilled;          // prompt tokens already in the cache
  int cached;             // tokens whose keys/values are in the cache
  int generated;
  /** Keeps the tokens inside a grammar (JSON output, a forced tool call), or null. */
  io.chatserver.inference.grammar.Constraint constraint;

  Sequence(String jobId, long[] prompt, SamplingParams params, GenerationListener listener, TextStream text) {
    this.jobId = jobId;
    this.prompt = prompt;
    this.params = params;
    this.listener = listener;
    this.text = text;
    this.random = new SplittableRandom(params.seed());
    this.tokens = java.util.Arrays.copyOf(prompt, prompt.length + Math.min(params.maxTokens(), 4096));
    this.length = prompt.length;
  }

  void append(long token) {
    if (length == tokens.length) {
      tokens = java.util.Arrays.copyOf(tokens, tokens.length * 2);
    }
    tokens[length++] = token;
  }

  long last() {
    return tokens[length - 1];
  }

  @Override
  public SamplingParams params() {
    return params;
  }

  @Override
  public long[] recentTokens(int n) {
    int count = n < 0 ? length : Math.min(n, length);
    return java.util.Arrays.copyOfRange(tokens, length - count, length);
  }

  @Override
  public SplittableRandom random() {
    return random;
  }
}
