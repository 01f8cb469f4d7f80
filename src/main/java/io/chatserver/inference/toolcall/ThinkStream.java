package io.chatserver.inference.toolcall;

/**
 * Separates a reasoning model's thinking ({@code <think>...</think>}, as Qwen 3, SmolLM3 and
 * DeepSeek-R1 write it) from its answer while it streams: what is inside goes out as reasoning,
 * the rest as content. A prompt that already opened the block (a template ending in
 * {@code <think>}) starts inside it. Partial markers are held back until known.
 */
public final class ThinkStream {

  static final String OPEN = "<think>";
  static final String CLOSE = "</think>";

  /** A piece of the answer: reasoning and content (either may be empty). */
  public record Out(String reasoning, String content) {}

  private enum Phase { START, THINKING, AFTER, CONTENT }

  private Phase phase;
  private final StringBuilder held = new StringBuilder();
  /** Just after the opening marker: the newline that follows it is not part of the thinking. */
  private boolean afterOpen;

  /** {@code insideAlready}: the prompt ends inside an open think block. */
  public ThinkStream(boolean insideAlready) {
    this.phase = insideAlready ? Phase.THINKING : Phase.START;
  }

  /** Whether a template thinks this way at all. */
  public static boolean uses(String template) {
    return template != null && template.contains(OPEN);
  }

  /** Whether a rendered prompt leaves a think block open (the model then starts inside it). */
  public static boolean opens(String prompt) {
    String p = prompt.stripTrailing();
    return p.endsWith(OPEN);
  }

  public Out push(String delta) {
    held.append(delta);
    StringBuilder reasoning = new StringBuilder();
    StringBuilder content = new StringBuilder();
    while (true) {
      switch (phase) {
        case START -> {
          String lead = held.toString().stripLeading();
          if (lead.startsWith(OPEN)) {
            held.setLength(0);
            held.append(lead.substring(OPEN.length()));
            phase = Phase.THINKING;
            afterOpen = true;
            continue;
          }
          if (!lead.isEmpty() && !OPEN.startsWith(lead)) {
            phase = Phase.CONTENT;
            continue;
          }
          return new Out(reasoning.toString(), content.toString());
        }
        case THINKING -> {
          if (afterOpen) {
            if (held.length() == 0) {
              return new Out(reasoning.toString(), content.toString());
            }
            if (held.charAt(0) == '\n') {
              held.deleteCharAt(0);
            }
            afterOpen = false;
          }
          int at = held.indexOf(CLOSE);
          if (at >= 0) {
            reasoning.append(held, 0, at);
            held.delete(0, at + CLOSE.length());
            phase = Phase.AFTER;
            continue;
          }
          int keep = partial(held, CLOSE);
          reasoning.append(held, 0, held.length() - keep);
          held.delete(0, held.length() - keep);
          return new Out(reasoning.toString(), content.toString());
        }
        case AFTER -> {
          // the blank lines between the thinking and the answer belong to neither
          String rest = held.toString().stripLeading();
          if (rest.isEmpty()) {
            held.setLength(0);
            return new Out(reasoning.toString(), content.toString());
          }
          held.setLength(0);
          held.append(rest);
          phase = Phase.CONTENT;
          continue;
        }
        default -> {
          content.append(held);
          held.setLength(0);
          return new Out(reasoning.toString(), content.toString());
        }
      }
    }
  }

  /** At the end: whatever is held back (an unfinished marker is text after all). */
  public Out finish() {
    String rest = held.toString();
    held.setLength(0);
    return phase == Phase.THINKING ? new Out(rest, "") : phase == Phase.AFTER ? new Out("", "") : new Out("", rest);
  }

  /** How many characters at the end of {@code s} could begin {@code marker} (held back until known). */
  static int partial(CharSequence s, String marker) {
    for (int len = Math.min(marker.length() - 1, s.length()); len > 0; len--) {
      if (s.subSequence(s.length() - len, s.length()).toString().equals(marker.substring(0, len))) {
        return len;
      }
    }
    return 0;
  }
}
