package io.chatserver.services;

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
 * numbered deltas and its done message, with usage. A cancel resets the HTTP request at once.
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
  private final Promise<Void> ended = Promise.promise();
  private HttpClientRequest request;
  private long seq;
  private long firstTokenNanos;
  private int chunks;
  private JsonObject usage;
  private String finish;
  private boolean cancelled;
  private final StringBuilder pending = new StringBuilder();

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

  Future<Void> run() {
    boolean chat = job.getJsonArray("messages") != null;
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
            resp.body().onComplete(b -> end("error", "service " + service.name() + ": "
                + Upstream.explain(resp, b.succeeded() ? b.result().toString() : "")));
            return;
          }
          resp.handler(buf -> onBytes(buf, chat));
          resp.exceptionHandler(e -> end(cancelled ? "cancelled" : "error", cancelled ? null
              : "service " + service.name() + ": the stream broke off (" + e.getMessage() + ")"));
          resp.endHandler(v -> end(finish == null ? "stop" : finish, null));
        })
        .onFailure(e -> end(cancelled ? "cancelled" : "error", cancelled ? null
            : "service " + service.name() + " could not be reached: " + e.getMessage()));
    return ended.future();
  }

  void cancel() {
    cancelled = true;
    if (request != null) {
      request.connection().close(); // the upstream sees its client leave and stops the job
    }
    end("cancelled", null);
  }

  private void onBytes(Buffer buf, boolean chat) {
    pending.append(buf.toString());
    int nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      String line = pending.substring(0, nl).trim();
      pending.delete(0, nl + 1);
      if (!line.startsWith("data:")) {
        continue;
      }
      String data = line.substring(5).trim();
      if (data.equals("[DONE]") || data.isEmpty()) {
        continue;
      }
      JsonObject event;
      try {
        event = new JsonObject(data);
      } catch (RuntimeException e) {
        continue; // a line we do not understand: skip it rather than fail the answer
      }
      if (event.getJsonObject("usage") != null) {
        usage = event.getJsonObject("usage");
      }
      JsonArray choices = event.getJsonArray("choices", new JsonArray());
      if (choices.isEmpty()) {
        continue;
      }
      JsonObject choice = choices.getJsonObject(0);
      String text = chat ? (choice.getJsonObject("delta") == null ? null : choice.getJsonObject("delta").getString("content"))
          : choice.getString("text");
      if (text != null && !text.isEmpty()) {
        if (firstTokenNanos == 0) {
          firstTokenNanos = System.nanoTime();
        }
        chunks++;
        vertx.eventBus().send(replyTo, new JsonObject().put("type", "delta").put("jobId", jobId).put("attempt", attempt)
            .put("seq", ++seq).put("text", text));
      }
      if (choice.getString("finish_reason") != null) {
        finish = "length".equals(choice.getString("finish_reason")) ? "length" : "stop";
      }
    }
  }

  private void end(String reason, String error) {
    if (ended.future().isComplete()) {
      return;
    }
    long now = System.nanoTime();
    int completion = usage == null ? chunks : usage.getInteger("completion_tokens", chunks);
    double seconds = firstTokenNanos == 0 ? 0 : (now - firstTokenNanos) / 1e9;
    JsonObject u = new JsonObject().put("promptTokens", usage == null ? 0 : usage.getInteger("prompt_tokens", 0))
        .put("completionTokens", completion)
        .put("ttftMs", firstTokenNanos == 0 ? null : (firstTokenNanos - startNanos) / 1_000_000)
        .put("tokensPerSecond", seconds > 0 ? completion / seconds : null);
    JsonObject done = new JsonObject().put("type", "done").put("jobId", jobId).put("attempt", attempt).put("seq", ++seq)
        .put("finishReason", reason).put("usage", u);
    if (error != null) {
      done.put("error", error);
    }
    vertx.eventBus().send(replyTo, done);
    ended.tryComplete();
  }

}
