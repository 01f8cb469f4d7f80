package io.chatserver.inference.toolcall;

import java.util.ArrayList;
import java.util.List;

/**
 * Separates an answer's tool calls from its text while it streams: text passes through at once,
 * except what could be the start of a call (held back until it is known not to be one); a call is
 * given out as soon as it is complete (at its closing marker, or at the end of the answer for the
 * formats that have none). What does not parse as a call is given out as text after all.
 */
public final class ToolCallStream {

  /** What a piece of the answer gave: text for the user, and the calls completed in it. */
  public record Out(String text, List<ToolFormat.Call> calls) {
    static final Out NOTHING = new Out("", List.of());
  }

  private final ToolFormat format;
  private final StringBuilder held = new StringBuilder();
  /** Inside a call's region (its opening marker seen). */
  private boolean inCall;
  /** Text has been given out already (LLAMA3_JSON calls only begin an answer). */
  private boolean textSeen;
  private int calls;

  public ToolCallStream(ToolFormat format) {
    this.format = format;
  }

  /** How many calls were read so far. */
  public int calls() {
    return calls;
  }

  public Out push(String delta) {
    held.append(delta);
    StringBuilder text = new StringBuilder();
    List<ToolFormat.Call> found = new ArrayList<>();
    while (true) {
      if (!inCall) {
        if (format == ToolFormat.LLAMA3_JSON) {
          String s = held.toString();
          String lead = s.stripLeading();
          if (!textSeen && lead.isEmpty()) {
            return new Out(text.toString(), found); // only whitespace yet: it may still start a call
          }
          if (!textSeen && lead.startsWith("{")) {
            inCall = true;
            held.delete(0, s.length() - lead.length());
            continue;
          }
          textSeen = true;
          text.append(held);
          held.setLength(0);
          return new Out(text.toString(), found);
        }
        int at = held.indexOf(format.open);
        if (at < 0) {
          int keep = ThinkStream.partial(held, format.open);
          text.append(held, 0, held.length() - keep);
          held.delete(0, held.length() - keep);
          return new Out(text.toString(), found);
        }
        text.append(held, 0, at);
        held.delete(0, at);
        inCall = true;
      }
      if (format.close == null) {
        return new Out(text.toString(), found); // the call runs to the end of the answer
      }
      int end = held.indexOf(format.close, format.open.length());
      if (end < 0) {
        return new Out(text.toString(), found);
      }
      String region = held.substring(0, end + format.close.length());
      held.delete(0, region.length());
      inCall = false;
      List<ToolFormat.Call> parsed = format.parse(region);
      if (parsed == null) {
        text.append(region);
      } else {
        found.addAll(parsed);
        calls += parsed.size();
      }
    }
  }

  /** At the end of the answer: a call that runs to the end is read now; anything unread is text. */
  public Out finish() {
    String rest = held.toString();
    held.setLength(0);
    if (inCall && format.close == null) {
      List<ToolFormat.Call> parsed = format.parse(rest);
      if (parsed != null) {
        calls += parsed.size();
        return new Out("", parsed);
      }
    }
    return rest.isEmpty() ? Out.NOTHING : new Out(rest, List.of());
  }
}
