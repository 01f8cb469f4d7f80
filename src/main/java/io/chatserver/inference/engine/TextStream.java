package io.chatserver.inference.engine;

import io.chatserver.inference.model.TextTokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns generated token ids into text deltas that are always whole UTF-8 characters, and finds stop
 * strings. Decoding works on a short window of ids (starting in the prompt, so a leading space is
 * kept) and a delta is released only when it does not end in a replacement character, i.e. when a
 * multi-byte character split across byte tokens is complete. Text that could be the start of a stop
 * string is held back until it is known not to be one.
 */
final class TextStream {

  private final TextTokenizer tokenizer;
  private final List<String> stops;
  private final List<Long> ids = new ArrayList<>();
  private int prefixOffset;
  private int readOffset;
  private final StringBuilder emitted = new StringBuilder();
  private final StringBuilder pending = new StringBuilder();
  private boolean stopped;
  private final boolean keepSpecial;

  TextStream(TextTokenizer tokenizer, long[] prompt, List<String> stops) {
    this(tokenizer, prompt, stops, false);
  }

  /** As above; {@code keepSpecial} keeps special tokens in the text (a tool call's markers may be special tokens). */
  TextStream(TextTokenizer tokenizer, long[] prompt, List<String> stops, boolean keepSpecial) {
    this.tokenizer = tokenizer;
    this.stops = stops;
    this.keepSpecial = keepSpecial;
    for (int i = Math.max(0, prompt.length - 4); i < prompt.length; i++) {
      ids.add(prompt[i]);
    }
    this.readOffset = ids.size();
  }

  /** Adds a token; returns the text that can be sent now (maybe empty). */
  String push(long id) {
    ids.add(id);
    String before = decode(prefixOffset, readOffset);
    String after = decode(prefixOffset, ids.size());
    if (after.length() > before.length() && !after.endsWith("\uFFFD") && after.startsWith(before)) {
      pending.append(after, before.length(), after.length());
      prefixOffset = readOffset;
      readOffset = ids.size();
    }
    return release(false);
  }

  /** At the end: whatever is still held back (an incomplete character decodes to U+FFFD here). */
  String finish() {
    if (!stopped && readOffset < ids.size()) {
      String before = decode(prefixOffset, readOffset);
      String after = decode(prefixOffset, ids.size());
      if (after.length() > before.length()) {
        pending.append(after, Math.min(before.length(), after.length()), after.length());
      }
      readOffset = ids.size();
    }
    return release(true);
  }

  boolean stopped() {
    return stopped;
  }

  String text() {
    return emitted.toString();
  }

  private String release(boolean end) {
    if (stopped || pending.length() == 0) {
      return "";
    }
    int maxStop = 0;
    for (String s : stops) {
      maxStop = Math.max(maxStop, s.length());
    }
    if (maxStop > 0) {
      // a stop string may begin in text already sent: search from there
      int tailStart = Math.max(0, emitted.length() - (maxStop - 1));
      String window = emitted.substring(tailStart) + pending;
      int best = -1;
      for (String s : stops) {
        int at = window.indexOf(s);
        if (at >= 0 && (best < 0 || at < best)) {
          best = at;
        }
      }
      if (best >= 0) {
        int cut = Math.max(0, best - (emitted.length() - tailStart));
        String out = pending.substring(0, cut);
        emitted.append(out);
        pending.setLength(0);
        stopped = true;
        return out;
      }
      if (!end) {
        int hold = 0;
        for (String s : stops) {
          for (int len = Math.min(s.length() - 1, window.length()); len > hold; len--) {
            if (window.endsWith(s.substring(0, len))) {
              hold = len;
              break;
            }
          }
        }
        hold = Math.min(hold, pending.length());
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        emitted.append(out);
        return out;
      }
    }
    String out = pending.toString();
    pending.setLength(0);
    emitted.append(out);
    return out;
  }

  private String decode(int from, int to) {
    long[] window = new long[to - from];
    for (int i = from; i < to; i++) {
      window[i - from] = ids.get(i);
    }
    return tokenizer.decode(window, !keepSpecial);
  }
}
