package io.chatserver.bus;

import java.util.Locale;

/** Why a generation ended, as workers report it on the job protocol and OpenAI clients read it. */
public enum FinishReason {
  /** The model ended its answer (or a stop sequence came). */
  STOP,
  /** max_tokens or the context ran out. */
  LENGTH,
  /** The answer is one or more tool calls. */
  TOOL_CALLS,
  /** Its user stopped it. */
  CANCELLED,
  /** It failed; the job's {@code error} says why. */
  ERROR;

  /** As sent: lower case ({@code stop}, {@code tool_calls}, ...). */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The reason a wire value names; {@link #ERROR} for null or anything unknown. */
  public static FinishReason parse(String value) {
    for (FinishReason r : values()) {
      if (r.wire().equals(value)) {
        return r;
      }
    }
    return ERROR;
  }

  @Override
  public String toString() {
    return wire();
  }
}
