package io.chatserver.inference;

import io.chatserver.bus.InvalidField;
import io.chatserver.bus.JobFailure;
import io.chatserver.bus.Addresses;
import io.chatserver.inference.engine.BatchScheduler;
import io.chatserver.inference.engine.GenerationListener;
import io.chatserver.inference.engine.ModelRuntime;
import io.chatserver.inference.engine.SamplingParams;
import io.chatserver.inference.model.ChatTemplate;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The actor that owns one loaded model: takes generation jobs from the event bus, hands them to the
 * model's batching scheduler (its own thread, never this event loop), and streams each job's
 * deltas to the job's reply address. Cancels arrive by publish and reach whichever worker holds the job.
 */
public final class WorkerVerticle extends VerticleBase {

  private final ModelRuntime runtime;
  private final String nodeId;
  private MessageConsumer<JsonObject> jobs;
  private MessageConsumer<JsonObject> cancels;

  public WorkerVerticle(ModelRuntime runtime, String nodeId) {
    this.runtime = runtime;
    this.nodeId = nodeId;
  }

  @Override
  public Future<?> start() {
    jobs = vertx.eventBus().consumer(Addresses.jobsOn(runtime.name(), nodeId), this::onJob);
    cancels = vertx.eventBus().consumer(Addresses.CANCEL, m -> {
      String id = m.body() == null ? null : m.body().getString("jobId");
      if (id != null) {
        runtime.scheduler().cancel(id);
      }
    });
    return Future.all(jobs.completion(), cancels.completion());
  }

  /** Stops taking jobs; cancels still reach the running ones (they keep streaming until they end). */
  public Future<?> stopTakingJobs() {
    return jobs.unregister();
  }

  private void onJob(Message<JsonObject> msg) {
    JsonObject job = msg.body();
    String jobId = job == null ? null : job.getString("jobId");
    String replyTo = job == null ? null : job.getString("replyTo");
    if (jobId == null || replyTo == null) {
      msg.fail(JobFailure.INVALID.code, "a job needs jobId and replyTo");
      return;
    }
    vertx.<Integer>executeBlocking(() -> submit(job, jobId, replyTo), false).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(new JsonObject().put("jobId", jobId).put("model", runtime.name()).put("worker", nodeId)
            .put("promptTokens", ar.result()));
      } else {
        Throwable e = ar.cause();
        JobFailure why = e instanceof InvalidJob || e instanceof InvalidField || e instanceof ChatTemplate.TemplateError
            ? JobFailure.INVALID
            : e instanceof BatchScheduler.Rejected r
                ? (r.code().equals("queue_full") || r.code().equals("unavailable") ? JobFailure.BUSY : JobFailure.TOO_LONG)
            : JobFailure.FAILED;
        msg.fail(why.code, why == JobFailure.FAILED ? "the worker could not start the job: " + e.getMessage() : e.getMessage());
      }
    });
  }

  /** A job this worker cannot run as sent (answered with {@link JobFailure#INVALID}). */
  static final class InvalidJob extends RuntimeException {
    InvalidJob(String message) {
      super(message, null, false, false);
    }
  }

  /** Tokenizes (off the event loop) and queues; returns the prompt's token count. */
  private int submit(JsonObject job, String jobId, String replyTo) {
    SamplingParams params = SamplingParams.fromJson(job.getJsonObject("options"));
    long[] prompt;
    JsonArray messages = job.getJsonArray("messages");
    if (messages != null) {
      for (Object o : messages) {
        if (!(o instanceof JsonObject m) || !(m.getValue("role") instanceof String) || !(m.getValue("content") instanceof String)) {
          throw new InvalidJob("each message needs a role and a string content");
        }
      }
      prompt = runtime.chatPrompt(messages, params.maxTokens(), job.getString("assistantPrefix"));
      params = params.withStop(runtime.templateStops());
    } else if (job.getString("suffix") != null) {
      prompt = runtime.fimPrompt(job.getString("prompt", ""), job.getString("suffix"));
      if (prompt == null) {
        throw new InvalidJob("model " + runtime.name() + " has no fill-in-the-middle tokens, so suffix cannot be used");
      }
    } else {
      String text = job.getString("prompt");
      if (text == null) {
        throw new InvalidJob("a job needs prompt or messages");
      }
      prompt = runtime.textPrompt(text);
    }
    runtime.scheduler().submit(jobId, prompt, params, new Relay(vertx.eventBus(), jobId, replyTo,
        job.getInteger("attempt", 0), nodeId));
    return prompt.length;
  }

  /** Sends one job's output, numbered, to its reply address (the event bus is safe to use from any thread). */
  private static final class Relay implements GenerationListener {
    private final EventBus bus;
    private final String jobId;
    private final String address;
    private final int attempt;
    private final String nodeId;
    private final AtomicLong seq = new AtomicLong();

    Relay(EventBus bus, String jobId, String address, int attempt, String nodeId) {
      this.bus = bus;
      this.jobId = jobId;
      this.address = address;
      this.attempt = attempt;
      this.nodeId = nodeId;
    }

    @Override
    public void onDelta(String text) {
      bus.send(address, new JsonObject().put("type", "delta").put("jobId", jobId).put("attempt", attempt)
          .put("seq", seq.incrementAndGet()).put("text", text));
    }

    @Override
    public void onFinish(Finish f) {
      JsonObject usage = new JsonObject().put("promptTokens", f.promptTokens()).put("completionTokens", f.completionTokens())
          .put("ttftMs", f.ttftMs()).put("tokensPerSecond", Math.round(f.tokensPerSecond() * 100) / 100.0);
      JsonObject done = new JsonObject().put("type", "done").put("jobId", jobId).put("attempt", attempt)
          .put("worker", nodeId).put("seq", seq.incrementAndGet())
          .put("finishReason", f.reason()).put("usage", usage);
      if (f.error() != null) {
        done.put("error", f.error());
      }
      bus.send(address, done);
    }
  }

}
