package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.bus.Addresses;
import io.chatserver.bus.JobFailure;
import io.chatserver.bus.SamplingOptions;
import io.chatserver.cluster.WorkerRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * Gets a job to a worker: sends it to the live worker with the model and the most free slots,
 * retries while there is none (or it vanished) until the deadline (504), and maps a worker's
 * refusal ({@link JobFailure}) to an HTTP status. For failover it rebuilds a job to go on from the
 * text already streamed.
 */
final class Dispatcher {

  private final Vertx vertx;
  private final WorkerRegistry workers;
  private final long workerTimeoutMs;

  Dispatcher(Vertx vertx, WorkerRegistry workers, long workerTimeoutMs) {
    this.vertx = vertx;
    this.workers = workers;
    this.workerTimeoutMs = workerTimeoutMs;
  }

  /** Sends the job, avoiding node {@code avoid} (a lost worker) if given; answers the worker's acceptance. */
  Future<JsonObject> send(JsonObject body, String avoid) {
    return send(body, System.currentTimeMillis() + workerTimeoutMs, avoid);
  }

  private Future<JsonObject> send(JsonObject body, long deadline, String avoid) {
    long left = deadline - System.currentTimeMillis();
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(Math.max(1000, left));
    String node = workers.pick(body.getString("model"), avoid, body.getString("chatId")); // a chat's turns to one worker
    Future<JsonObject> sent = node == null
        ? Future.failedFuture(new ReplyException(ReplyFailure.NO_HANDLERS, "no worker"))
        : vertx.eventBus().<JsonObject>request(Addresses.jobsOn(body.getString("model"), node), body, opts).map(m -> m.body());
    return sent.recover(e -> {
      if (e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
        long remaining = deadline - System.currentTimeMillis();
        if (remaining > 0) {
          Promise<JsonObject> retry = Promise.promise();
          vertx.setTimer(Math.max(1, Math.min(200, remaining)), t -> send(body, deadline, avoid).onComplete(retry));
          return retry.future();
        }
        return Future.failedFuture(new ApiError(504, "no_worker", "no worker serves model '" + body.getString("model")
            + "' right now (waited " + workerTimeoutMs + " ms); see GET /api/models"));
      }
      return Future.failedFuture(mapWorkerFailure(e));
    });
  }

  /** A worker's answer to a job it did not take, as the HTTP status and code a client gets. */
  static ApiError mapWorkerFailure(Throwable e) {
    if (e instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return new ApiError(504, "worker_timeout", "the worker did not accept the job in time");
      }
      if (re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        return switch (JobFailure.of(re.failureCode())) {
          case INVALID -> new ApiError(400, "invalid_request", re.getMessage());
          case TOO_LONG -> new ApiError(400, "context_length_exceeded", re.getMessage());
          case BUSY -> new ApiError(503, "overloaded", re.getMessage());
          case FAILED -> new ApiError(502, "worker_error", "the worker failed: " + re.getMessage());
          case UPSTREAM -> upstreamRefusal(re.getMessage());
        };
      }
    }
    return new ApiError(502, "worker_error", "the worker failed: " + e.getMessage());
  }

  /**
   * An upstream service's refusal ({status, retryAfter, message}): a rate limit stays a 429 with the
   * upstream's Retry-After, a bad parameter a 400 with the upstream's words, an unknown model a 404;
   * a refused key or an upstream fault is the gateway's 502, an unreachable upstream 503, a silent one 504.
   */
  static ApiError upstreamRefusal(String encoded) {
    JsonObject r;
    try {
      r = new JsonObject(encoded);
    } catch (RuntimeException e) {
      return new ApiError(502, "upstream_error", encoded);
    }
    int status = r.getInteger("status", 502);
    String message = r.getString("message", "the upstream service refused the job");
    Long retryAfter = r.getLong("retryAfter");
    ApiError e = switch (status) {
      case 0 -> new ApiError(503, "upstream_unavailable", message);
      case 400, 422 -> new ApiError(400, "upstream_invalid_request", message);
      case 401, 403 -> new ApiError(502, "upstream_auth", message);
      case 404 -> new ApiError(404, "upstream_model_not_found", message);
      case 429 -> new ApiError(429, "upstream_rate_limited", message);
      case 503 -> new ApiError(503, "upstream_unavailable", message);
      case 504 -> new ApiError(504, "upstream_timeout", message);
      default -> new ApiError(502, "upstream_error", message);
    };
    return retryAfter == null ? e : e.retryAfter(retryAfter);
  }

  /** The job again, as a new attempt that continues after the text streamed so far, with the tokens left. */
  static JsonObject resumption(Job job) {
    JsonObject body = job.payload.copy();
    String soFar = job.text();
    if (body.containsKey("messages")) {
      body.put("assistantPrefix", body.getString("assistantPrefix", "") + soFar);
    } else {
      body.put("prompt", body.getString("prompt", "") + soFar);
    }
    JsonObject opts = job.options == null ? new JsonObject() : job.options.copy();
    int max = opts.getInteger("max_tokens", SamplingOptions.DEFAULT_MAX_TOKENS);
    opts.put("max_tokens", Math.max(1, max - job.textDeltas()));
    return body.put("options", opts).put("jobId", job.id).put("userId", job.userId.toString()).put("model", job.model)
        .put("replyTo", Addresses.stream(job.id)).put("attempt", job.attempt);
  }
}
