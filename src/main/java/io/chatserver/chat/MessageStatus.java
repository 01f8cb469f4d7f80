package io.chatserver.chat;

import io.chatserver.bus.FinishReason;
import java.util.Arrays;
import java.util.Locale;

/** Where a message stands: being written by a job, finished, stopped by its user, or ended by a failure. */
public enum MessageStatus {
  STREAMING, DONE, STOPPED, ERROR;

  /** As stored and sent: lower case. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The status of a stored or imported value; null for anything else. */
  public static MessageStatus parse(String value) {
    return Arrays.stream(values()).filter(s -> s.wire().equals(value)).findFirst().orElse(null);
  }

  /** The status a generation ends in, from the worker's finish reason. */
  public static MessageStatus ofFinish(FinishReason finishReason) {
    return switch (finishReason) {
      case STOP, LENGTH, TOOL_CALLS -> DONE;
      case CANCELLED -> STOPPED;
      case ERROR -> ERROR;
    };
  }

  @Override
  public String toString() {
    return wire();
  }
}
