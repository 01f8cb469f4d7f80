package io.chatserver.api;

import io.vertx.core.json.JsonObject;

/**
 * A failure that becomes a JSON error response {@code {error: {code, message, field?}}}.
 * Throw it (or fail a Future with it) anywhere in a handler; {@link ErrorHandler} writes it.
 */
public final class ApiError extends RuntimeException {

  private final int status;
  private final String code;
  private final String field;

  public ApiError(int status, String code, String message, String field) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  public ApiError(int status, String code, String message) {
    this(status, code, message, null);
  }

  public static ApiError badRequest(String field, String message) {
    return new ApiError(400, "validation_error", message, field);
  }

  public static ApiError notFound(String what) {
    return new ApiError(404, "not_found", what + " not found");
  }

  public static ApiError unauthorized(String message) {
    return new ApiError(401, "unauthorized", message);
  }

  public static ApiError forbidden(String message) {
    return new ApiError(403, "forbidden", message);
  }

  public static ApiError conflict(String message) {
    return new ApiError(409, "conflict", message);
  }

  public static ApiError unprocessable(String message) {
    return new ApiError(422, "unprocessable", message);
  }

  private long retryAfter;

  /** Seconds a client should wait before trying again (sent as Retry-After). */
  public ApiError retryAfter(long seconds) {
    this.retryAfter = seconds;
    return this;
  }

  public long retryAfter() {
    return retryAfter;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }

  public JsonObject toJson() {
    JsonObject err = new JsonObject().put("code", code).put("message", getMessage());
    if (field != null) {
      err.put("field", field);
    }
    return new JsonObject().put("error", err);
  }
}
