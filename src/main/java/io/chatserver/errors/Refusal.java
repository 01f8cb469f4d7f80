package io.chatserver.errors;

/**
 * A request the domain refuses, said without HTTP: what kind of refusal it is, a stable code, a
 * message for the person, and the field it is about. Stores and feature routes throw these; the
 * HTTP edge ({@code api.ErrorHandler}) alone turns a kind into a status, as DJL Serving maps its
 * typed failures at its edge. This package imports nothing of the server.
 */
public class Refusal extends RuntimeException {

  /** The kinds of refusal; each is one HTTP status at the edge. */
  public enum Kind {
    /** The request is malformed or breaks a rule (400). */
    INVALID,
    /** What it names does not exist for this caller (404): another user's things included. */
    NOT_FOUND,
    /** It conflicts with the current state (409). */
    CONFLICT,
    /** A document that parses but cannot be used (422). */
    UNPROCESSABLE,
    /** A limit is used up; try again after {@link #retryAfter()} seconds (429). */
    LIMITED,
    /** Too large (413). */
    TOO_LARGE,
    /** Content of a type that is not taken (415). */
    UNSUPPORTED_TYPE
  }

  private final Kind kind;
  private final String code;
  private final String field;
  private long retryAfter;

  public Refusal(Kind kind, String code, String message, String field) {
    super(message, null, false, false);
    this.kind = kind;
    this.code = code;
    this.field = field;
  }

  public static Refusal invalid(String field, String message) {
    return new Refusal(Kind.INVALID, "validation_error", message, field);
  }

  /** "{what} not found". */
  public static Refusal notFound(String what) {
    return new Refusal(Kind.NOT_FOUND, "not_found", what + " not found", null);
  }

  /** Not found, with its own message, about a field of the request. */
  public static Refusal notFound(String message, String field) {
    return new Refusal(Kind.NOT_FOUND, "not_found", message, field);
  }

  public static Refusal conflict(String message) {
    return new Refusal(Kind.CONFLICT, "conflict", message, null);
  }

  public static Refusal unprocessable(String message, String field) {
    return new Refusal(Kind.UNPROCESSABLE, "unprocessable", message, field);
  }

  public static Refusal limited(String code, String message, long retryAfterSeconds) {
    Refusal r = new Refusal(Kind.LIMITED, code, message, null);
    r.retryAfter = retryAfterSeconds;
    return r;
  }

  public static Refusal tooLarge(String message) {
    return new Refusal(Kind.TOO_LARGE, "payload_too_large", message, null);
  }

  public static Refusal unsupportedType(String message) {
    return new Refusal(Kind.UNSUPPORTED_TYPE, "unsupported_media_type", message, null);
  }

  public Kind kind() {
    return kind;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }

  /** Seconds to wait before trying again (LIMITED), else 0. */
  public long retryAfter() {
    return retryAfter;
  }
}
