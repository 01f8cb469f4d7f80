package io.chatserver.bus;

/**
 * A field of a message (a job's options, a user's sampling settings) that breaks the protocol's
 * rules. Not an HTTP error: the HTTP edge answers it with 400 naming the field, a worker refuses the
 * job with {@link JobFailure#INVALID}.
 */
public final class InvalidField extends RuntimeException {

  private final String field;

  public InvalidField(String field, String message) {
    super(message, null, false, false);
    this.field = field;
  }

  public String field() {
    return field;
  }
}
