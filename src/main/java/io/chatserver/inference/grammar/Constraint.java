package io.chatserver.inference.grammar;

import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps one answer inside a grammar (a JSON Schema, any JSON object, or a tool call): before each
 * token, which tokens may come next ({@link #mask}); after it, the grammar's new state
 * ({@link #accept}). The allowed set is found by one pass over the vocabulary in byte order
 * ({@link TokenBytes}), where a dead prefix skips every token that shares it, and is cached by
 * grammar state: inside a long string, or between properties, the same states come back. No token
 * may leave more to write than tokens left to write it, so the answer is complete JSON within its
 * max_tokens however the model's weights lean. Used on the scheduler thread only.
 */
public final class Constraint {

  private final TokenBytes vocab;
  private List<Matcher.State> states;
  private final float[] mask;
  private final Compiled grammar;
  private boolean broken;

  /**
   * A grammar compiled once for a vocabulary, shared by every answer that follows it: its root and
   * the allowed tokens of each state met so far (least recently used ones dropped). The cache is
   * used on the scheduler thread only.
   */
  public static final class Compiled {
    final SchemaNode root;
    final TokenBytes vocab;
    final Map<Object, Allowed> cache = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Object, Allowed> eldest) {
        return size() > 1024;
      }
    };

    public Compiled(SchemaNode root, TokenBytes vocab) {
      this.root = root;
      this.vocab = vocab;
    }
  }

  public Constraint(SchemaNode root, TokenBytes vocab) {
    this(new Compiled(root, vocab));
  }

  public Constraint(Compiled grammar) {
    this.grammar = grammar;
    this.vocab = grammar.vocab;
    this.states = List.of(Matcher.start(grammar.root));
    this.mask = new float[vocab.vocab];
  }

  /** Whether the JSON is complete (only the end may come). */
  public boolean done() {
    return Matcher.canFinish(states) && Matcher.minCompletion(states) == 0;
  }

  /** Whether the text left the grammar (a token the mask did not allow): the constraint then stops constraining. */
  public boolean broken() {
    return broken;
  }

  /**
   * What to add to the next logits: 0 for a token that may come, -infinity for the others.
   * {@code tokensLeft}: how many tokens the answer may still have. A token may come when the
   * grammar takes its bytes and the text can still be finished in the tokens left after it (every
   * grammar state has a token that brings the end one byte nearer, so this always leaves a way out).
   */
  public float[] mask(int tokensLeft) {
    if (broken) {
      Arrays.fill(mask, 0f);
      return mask;
    }
    Allowed allowed = grammar.cache.get(states);
    if (allowed == null) {
      allowed = allowed();
      grammar.cache.put(states, allowed);
    }
    Arrays.fill(mask, Float.NEGATIVE_INFINITY);
    boolean any = false;
    for (var e : allowed.byNeed().entrySet()) {
      if (e.getKey() > tokensLeft - 1) {
        break; // these would leave more to write than tokens to write it
      }
      BitSet tokens = e.getValue();
      for (int i = tokens.nextSetBit(0); i >= 0; i = tokens.nextSetBit(i + 1)) {
        mask[i] = 0f;
        any = true;
      }
    }
    if (allowed.finishes()) {
      for (long eos : vocab.eos) {
        mask[(int) eos] = 0f;
        any = true;
      }
    }
    if (!any && !allowed.byNeed().isEmpty()) {
      // too few tokens left even at one byte each: the tokens that bring the end nearest (many write several bytes)
      BitSet nearest = allowed.byNeed().firstEntry().getValue();
      for (int i = nearest.nextSetBit(0); i >= 0; i = nearest.nextSetBit(i + 1)) {
        mask[i] = 0f;
      }
      any = true;
    }
    if (!any) {
      Arrays.fill(mask, 0f); // nothing fits at all (a vocabulary without the bytes needed): leave the model free rather than stuck
    }
    return mask;
  }

  /** The tokens a grammar state takes, by the bytes they leave to write; whether the text may end here. */
  record Allowed(java.util.TreeMap<Integer, BitSet> byNeed, boolean finishes) {}

  @SuppressWarnings("unchecked")
  private Allowed allowed() {
    java.util.TreeMap<Integer, BitSet> byNeed = new java.util.TreeMap<>();
    List<Matcher.State>[] level = new List[vocab.maxLength + 1];
    level[0] = states;
    int valid = 0;       // levels of `level` that hold the states of the current token's prefix
    int dead = Integer.MAX_VALUE; // a prefix of this length, shared by the tokens that follow, matched nothing
    for (int k = 0; k < vocab.order.length; k++) {
      int id = vocab.order[k];
      byte[] b = vocab.bytes[id];
      int shared = vocab.lcp[k];
      valid = Math.min(valid, shared);
      if (dead <= shared) {
        continue;
      }
      dead = Integer.MAX_VALUE;
      boolean ok = true;
      for (int d = valid; d < b.length; d++) {
        List<Matcher.State> next = Matcher.feed(level[d], b[d] & 0xff);
        if (next.isEmpty()) {
          dead = d + 1;
          valid = d;
          ok = false;
          break;
        }
        level[d + 1] = next;
        valid = d + 1;
      }
      if (ok) {
        byNeed.computeIfAbsent(Matcher.minCompletion(level[b.length]), x -> new BitSet(vocab.vocab)).set(id);
      }
    }
    return new Allowed(byNeed, Matcher.canFinish(states));
  }

  /** Moves the grammar past the token the sampler chose. */
  public void accept(long token) {
    if (broken) {
      return;
    }
    byte[] b = vocab.bytes(token);
    if (b == null) {
      return; // an end-of-sequence or special token writes nothing
    }
    List<Matcher.State> s = states;
    for (byte x : b) {
      s = Matcher.feed(s, x & 0xff);
      if (s.isEmpty()) {
        broken = true;
        return;
      }
    }
    states = s;
  }
}
