package io.chatserver.inference.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Finished sequences kept in spare KV cache slots, keyed by their tokens, so that the next turn of
 * a chat (whose prompt starts with the previous turn's) does not compute that prefix again: a new
 * prompt gets the slot with the longest common prefix copied into its staging slot and is
 * prefilled from there. Evicts the least recently used slot. Used on the scheduler's thread only.
 */
final class PrefixCache {

  /** Shorter shared prefixes are not worth a slot copy. */
  static final int MIN_TOKENS = 8;

  private static final class Entry {
    final int slot;
    long[] tokens;
    int length;
    long lastUsed;

    Entry(int slot) {
      this.slot = slot;
    }
  }

  /** A reusable prefix: the slot holding it and how many tokens of the prompt it covers. */
  record Hit(int slot, int length) {}

  private final List<Entry> entries = new ArrayList<>();
  private long clock;

  PrefixCache(int firstSlot, int slots) {
    for (int i = 0; i < slots; i++) {
      entries.add(new Entry(firstSlot + i));
    }
  }

  /** Forgets every kept prefix (their slots are free again). */
  void clear() {
    for (Entry e : entries) {
      e.tokens = null;
      e.length = 0;
    }
  }

  /** The kept slot sharing the longest prefix with the prompt (leaving at least its last token to prefill), or null. */
  Hit lookup(long[] prompt) {
    Entry best = null;
    int bestLen = 0;
    for (Entry e : entries) {
      if (e.tokens == null) {
        continue;
      }
      int n = Math.min(e.length, prompt.length - 1);
      int l = 0;
      while (l < n && e.tokens[l] == prompt[l]) {
        l++;
      }
      if (l > bestLen) {
        best = e;
        bestLen = l;
      }
    }
    if (best == null || bestLen < MIN_TOKENS) {
      return null;
    }
    best.lastUsed = ++clock;
    return new Hit(best.slot, bestLen);
  }

  /**
   * Keeps a finished sequence's first {@code cached} tokens: in the slot of an entry it extends
   * (the same conversation), else a free one, else the least recently used; {@code copyInto} copies
   * the sequence's cache into the chosen slot.
   */
  void retain(long[] tokens, int cached, IntConsumer copyInto) {
    if (cached < MIN_TOKENS || entries.isEmpty()) {
      return;
    }
    Entry target = null;
    for (Entry e : entries) {
      if (e.tokens != null && e.length <= cached && startsWith(tokens, e.tokens, e.length)) {
        target = e; // it only grows: the older, shorter prefix is in the new one
        break;
      }
    }
    if (target == null) {
      for (Entry e : entries) {
        if (e.tokens == null) {
          target = e;
          break;
        }
      }
    }
    if (target == null) {
      target = entries.get(0);
      for (Entry e : entries) {
        if (e.lastUsed < target.lastUsed) {
          target = e;
        }
      }
    }
    copyInto.accept(target.slot);
    target.tokens = java.util.Arrays.copyOf(tokens, cached);
    target.length = cached;
    target.lastUsed = ++clock;
  }

  private static boolean startsWith(long[] tokens, long[] prefix, int n) {
    for (int i = 0; i < n; i++) {
      if (tokens[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
