package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.api.ErrorHandler;
import io.chatserver.bus.InvalidField;
import io.chatserver.bus.JobFailure;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Typed failures become HTTP statuses in one place: a worker's refusals, protocol field errors, the rest. */
class FailureMappingTest {

  private static ApiError worker(JobFailure f) {
    return Dispatcher.mapWorkerFailure(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, f.code, "why"));
  }

  @Test
  void workerRefusals() {
    assertEquals(400, worker(JobFailure.INVALID).status());
    assertEquals("invalid_request", worker(JobFailure.INVALID).code());
    assertEquals("context_length_exceeded", worker(JobFailure.TOO_LONG).code());
    assertEquals(503, worker(JobFailure.BUSY).status());
    assertEquals(502, worker(JobFailure.FAILED).status());
    assertEquals(504, Dispatcher.mapWorkerFailure(new ReplyException(ReplyFailure.TIMEOUT, "late")).status());
    assertEquals(502, Dispatcher.mapWorkerFailure(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 99, "new code")).status(),
        "a code from a newer worker is a worker failure, not a client error");
    assertEquals(502, Dispatcher.mapWorkerFailure(new IllegalStateException("boom")).status());
  }

  @Test
  void theEdgeMapsEverythingElse() {
    ApiError field = ErrorHandler.toApiError(new InvalidField("options.top_p", "top_p must be between 0 and 1"), -1);
    assertEquals(400, field.status());
    assertEquals("options.top_p", field.field());
    assertEquals("invalid_json", ErrorHandler.toApiError(new DecodeException("x"), -1).code());
    ApiError internal = ErrorHandler.toApiError(new NullPointerException("secret detail"), -1);
    assertEquals(500, internal.status());
    assertEquals("internal server error", internal.getMessage(), "no internals leak");
    assertEquals(413, ErrorHandler.toApiError(null, 413).status());
  }
}
