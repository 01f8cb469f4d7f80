package io.chatserver.bus;

/**
 * Why a worker refused a job: the failure codes of the job protocol (the {@code failureCode} of the
 * ReplyException a worker answers {@link Addresses#jobsOn} with). They say nothing about HTTP; the
 * API side maps them to statuses where the reply comes back ({@code generation.Dispatcher}).
 */
public enum JobFailure {
  /** The job itself is malformed or asks for something the model cannot do (bad options, no FIM tokens). */
  INVALID(1),
  /** The prompt does not fit the model's context. */
  TOO_LONG(2),
  /** The model's queue is full, or it is shutting down: try again (or elsewhere). */
  BUSY(3),
  /** The worker failed for a reason of its own. */
  FAILED(4),
  /**
   * An upstream service refused the job before streaming anything; the message is JSON
   * {@code {status, retryAfter, message}}: the upstream's HTTP status (0 when it could not be
   * reached, 504 when it did not answer in time) and its Retry-After in seconds (or null).
   */
  UPSTREAM(5);

  public final int code;

  JobFailure(int code) {
    this.code = code;
  }

  /** The failure of a code, or {@link #FAILED} for a code no version of the protocol defines. */
  public static JobFailure of(int code) {
    for (JobFailure f : values()) {
      if (f.code == code) {
        return f;
      }
    }
    return FAILED;
  }
}
