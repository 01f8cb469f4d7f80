package io.chatserver.services;

import io.chatserver.bus.FinishReason;
import io.chatserver.bus.JobStream;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * One job run on an upstream service: a streaming {@code /chat/completions} (messages) or
 * {@code /completions} (prompt, suffix) call whose server-sent events become the job protocol's
 * numbered deltas and its done message, with usage ({@link UpstreamStream}); tool calls and log
 * probabilities travel beside the text. A cancel resets the HTTP request at once.
 */
final class RemoteJob {

  private static final java.util.List<String> PASSED = java.util.List.of("temperature", "top_p", "max_tokens", "seed", "stop");

  private final Vertx vertx;
  private final HttpClient http;
  private final UpstreamService service;
  private final String model;
  private final JsonObject job;
  private final String jobId;
  private final String replyTo;
  private final int attempt;
  private final long startNanos = System.nanoTime();
  private final Promise<Void> accepted = Promise.promise();
  private final Promise<Void> ended = Promise.promise();
  private UpstreamStream stream;
  private HttpClientRequest request;
  private long seq;
  private long firstTokenNanos;
  private int chunks;
  private boolean cancelled;

  RemoteJob(Vertx vertx, HttpClient http, UpstreamService service, String model, JsonObject job) {
    this.vertx = vertx;
    this.http = http;
    this.service = service;
    this.model = model;
    this.job = job;
    this.jobId = job.getString("jobId");
    this.replyTo = job.getString("replyTo");
    this.attempt = job.getInteger("attempt", 0);
  }

  String model() {
    return model;
  }

  /**
   * Starts the upstream call. The returned future completes once the upstream has answered 200 (or
   * after {@code acceptWithinMs} without an answer: a slow upstream is then the stream's business);
   * it fails with an {@link UpstreamRefusal} when the upstream refused at once (bad key, unknown
   * model, rate limit, bad parameter, down), so the client gets a clear HTTP error and nothing is saved.
   */
  Future<Void> run(long acceptWithinMs) {
    boolean chat = job.getJsonArray("messages") != null;
    stream = new UpstreamStream(chat);
    JsonObject body = new JsonObject().put("model", model.substring(service.name().length() + 1)).put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", true));
    JsonObject options = job.getJsonObject("options", new JsonObject());
    for (String key : PASSED) {
      if (options.getValue(key) != null) {
        body.put(key, options.getValue(key));
      }
    }
    JsonObject openai = job.getJsonObject("openai");
    if (openai != null) {
      body.mergeIn(openai); // OpenAI parameters a client gave for this service's model
    }
    if (chat) {
      JsonArray messages = job.getJsonArray("messages").copy();
      if (job.getString("assistantPrefix") != null && !job.getString("assistantPrefix").isEmpty()) {
        messages.add(new JsonObject().put("role", "assistant").put("content", job.getString("assistantPrefix")));
      }
      body.put("messages", messages);
    } else {
      body.put("prompt", job.getString("prompt", ""));
      if (job.getString("suffix") != null) {
        body.put("suffix", job.getString("suffix"));
      }
    }
    long timer = vertx.setTimer(acceptWithinMs, t -> accepted.tryComplete());
    accepted.future().onComplete(x -> vertx.cancelTimer(timer));
    http.request(Upstream.request(service, HttpMethod.POST, chat ? "/chat/completions" : "/completions")
            .putHeader("Content-Type", "application/json"))
        .compose(req -> {
          request = req;
          if (cancelled) {
            req.connection().close();
          }
          return req.send(body.toBuffer());
        })
        .onSuccess(resp -> {
          if (resp.statusCode() != 200) {
            resp.body().onComplete(b -> refuse(resp.statusCode(), Upstream.retryAfter(resp), "service " + service.name()
                + ": " + Upstream.explain(resp, b.succeeded() ? b.result().toString() : "")));
            return;
          }
          accepted.tryComplete();
          resp.handler(buf -> onBytes(buf));
          resp.exceptionHandler(e -> end(cancelled ? FinishReason.CANCELLED : FinishReason.ERROR, cancelled ? null
              : "service " + service.name() + ": the stream broke off (" + Upstream.reason(e) + ")"));
          resp.endHandler(v -> end(stream.finishReason(), null));
        })
        .onFailure(e -> {
          if (cancelled) {
            end(FinishReason.CANCELLED, null);
          } else if (Upstream.isTimeout(e)) {
            refuse(UpstreamRefusal.TIMED_OUT, null, "service " + service.name() + " did not answer within "
                + service.timeoutMs() + " ms");
          } else {
            refuse(UpstreamRefusal.UNREACHABLE, null, "service " + service.name() + " could not be reached: " + Upstream.reason(e));
          }
        });
    return accepted.future();
  }

  /** Ends when the job has ended (sent its done message, or was refused). */
  Future<Void> ended() {
    return ended.future();
  }

  /** Before the job was accepted: a refusal the client gets as an HTTP error; after: the stream ends with the error. */
  private void refuse(int status, Long retryAfter, String message) {
    if (accepted.tryFail(new UpstreamRefusal(status, retryAfter, message))) {
      ended.tryComplete();
    } else {
      end(FinishReason.ERROR, message);
    }
  }

  void cancel() {
    cancelled = true;
    if (request != null) {
      request.connection().close(); // the upstream sees its client leave and stops the job
    }
    if (accepted.tryFail(new UpstreamRefusal(UpstreamRefusal.UNREACHABLE, null, "stopped before the upstream answered"))) {
      ended.tryComplete();
    } else {
      end(FinishReason.CANCELLED, null);
    }
  }

  private void onBytes(Buffer buf) {
    for (UpstreamStream.Piece p : stream.feed(buf.toString())) {
      if (firstTokenNanos == 0) {
        firstTokenNanos = System.nanoTime();
      }
      if (!p.text().isEmpty()) {
        chunks++;
      }
      vertx.eventBus().send(replyTo, new JobStream.Delta(jobId, attempt, ++seq, p.text(), p.extra()).toJson());
    }
  }

  private void end(FinishReason reason, String error) {
    if (ended.future().isComplete()) {
      return;
    }
    long now = System.nanoTime();
    JsonObject usage = stream == null ? null : stream.usage();
    int completion = usage == null ? chunks : usage.getInteger("completion_tokens", chunks);
    double seconds = firstTokenNanos == 0 ? 0 : (now - firstTokenNanos) / 1e9;
    JsonObject u = new JsonObject().put("promptTokens", usage == null ? 0 : usage.getInteger("prompt_tokens", 0))
        .put("completionTokens", completion)
        .put("ttftMs", firstTokenNanos == 0 ? null : (firstTokenNanos - startNanos) / 1_000_000)
        .put("tokensPerSecond", seconds > 0 ? completion / seconds : null);
    vertx.eventBus().send(replyTo, new JobStream.Done(jobId, attempt, ++seq, reason, error, u,
        stream == null ? null : stream.merged()).toJson());
    ended.tryComplete();
  }

}
