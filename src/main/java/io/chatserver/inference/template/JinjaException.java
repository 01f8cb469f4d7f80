package io.chatserver.inference.template;

/** A template that cannot be parsed or rendered; the message is meant for the person who sent the request. */
public class JinjaException extends RuntimeException {

  public JinjaException(String message) {
    super(message, null, false, false);
  }

  /** What the template itself said through {@code raise_exception(message)}. */
  public static final class Raised extends JinjaException {
    public Raised(String message) {
      super(message);
    }
  }
}
