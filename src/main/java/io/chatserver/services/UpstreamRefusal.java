package io.chatserver.services;

import io.chatserver.bus.JobFailure;
import io.vertx.core.json.JsonObject;

/**
 * An upstream service refused a job before streaming anything: its HTTP status (or
 * {@link #UNREACHABLE}, {@link #TIMED_OUT}), the Retry-After it gave, and the message naming the
 * service. It travels as a {@link JobFailure#UPSTREAM} failure whose message is {@link #encode()}.
 */
final class UpstreamRefusal extends RuntimeException {

  static final int UNREACHABLE = 0;
  static final int TIMED_OUT = 504;

  final int status;
  final Long retryAfter;

  UpstreamRefusal(int status, Long retryAfter, String message) {
    super(message, null, false, false);
    this.status = status;
    this.retryAfter = retryAfter;
  }

  String encode() {
    return new JsonObject().put("status", status).put("retryAfter", retryAfter).put("message", getMessage()).encode();
  }
}
