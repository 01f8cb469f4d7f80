package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.bus.Addresses;
import io.chatserver.bus.FinishReason;
import io.chatserver.bus.JobStream;
import io.chatserver.system.SystemStatus;
import io.chatserver.quota.Quotas;
import io.chatserver.bus.ModelStatus;
import io.chatserver.chat.MessageStatus;
import io.chatserver.cluster.WorkerRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The API side of generation, as a verticle that owns every job of this node on its own context
 * (all job state changes there; nothing is shared between event loops through locks). It never
 * runs a model: it admits the job ({@link Admission}: one running generation per user, 429),
 * gets it to a worker ({@link Dispatcher}: 504 when none takes it, 503 when the workers are full,
 * failover when a worker is lost), receives the worker's numbered deltas on a per-job address,
 * keeps them for any client to replay (SSE with Last-Event-ID, the SockJS bridge), saves the text
 * as it grows ({@link JobWriter}) and lets other API nodes follow the job ({@link JobSharing}).
 */
public final class GenerationService extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(GenerationService.class);

  /** Limits and timings, from {@code conf/config.json: generation}. */
  public record Settings(long workerTimeoutMs, int maxPerUser, long retentionMs, int retainedJobs, long flushMs,
                         int flushTokens, long stallTimeoutMs, String defaultModel) {
    public static Settings fromJson(JsonObject g) {
      return new Settings(g.getLong("workerTimeoutMs", 5000L), g.getInteger("maxConcurrentPerUser", 1),
          g.getLong("retentionSeconds", 600L) * 1000, g.getInteger("retainedJobs", 1000), g.getLong("flushIntervalMs", 250L),
          g.getInteger("flushTokens", 32), g.getLong("stallTimeoutSeconds", 120L) * 1000, g.getString("defaultModel"));
    }
  }

  /**
   * What to run. {@code payload} holds prompt / messages / suffix / assistantPrefix (see
   * {@link Addresses}); {@code onAccepted} runs once a worker took the job, with the job (e.g.
   * creates the chat messages) and says where the text is saved; it can still refuse the job.
   * {@code preamble} (or null): events that lead the job's stream before its first token
   * ({event: searching|reading|sources|...}).
   */
  public record Spec(UUID userId, String model, JsonObject payload, JsonObject options, boolean trimLeading,
                     Function<JobRef, Future<Saved>> onAccepted, JsonArray preamble) {}

  /** Where an accepted job's text is saved: the assistant message (null: nowhere) and the text it already had. */
  public record Saved(UUID messageId, String baseContent) {
    public static final Saved NOWHERE = new Saved(null, "");

    public static Future<Saved> nowhere(JobRef job) {
      return Future.succeededFuture(NOWHERE);
    }
  }

  private final GenerationStore store;
  /** Maintenance and read-only modes stop new answers (running ones finish). */
  private final SystemStatus system;
  /** Each user's tokens per day and answers per minute. */
  private final Quotas quotas;
  private final Settings settings;
  private final WorkerRegistry workers;
  /** How long a running job counts against its user's limit without its node renewing it (a dead node's jobs stop counting). */
  private static final long ADMISSION_LEASE_MS = 60_000;
  private Admission admission;
  /** This node's jobs and the mirrors of other nodes' ones: on this verticle's context only, like everything here. */
  private final Map<String, Job> jobs = new HashMap<>();
  private final Map<String, Job> mirrors = new HashMap<>();
  private Dispatcher dispatcher;
  /** Finished jobs (and mirrors) kept for resume, bounded in number and age. */
  private Retention retained;
  /** What stops answering replays of each of this node's jobs. */
  private final Map<String, Runnable> unshare = new HashMap<>();

  public GenerationService(GenerationStore store, Settings settings, WorkerRegistry workers, SystemStatus system, Quotas quotas) {
    this.system = system;
    this.quotas = quotas;
    this.store = store;
    this.settings = settings;
    this.workers = workers;
  }

  @Override
  public Future<?> start() {
    dispatcher = new Dispatcher(vertx, workers, settings.workerTimeoutMs());
    admission = new Admission(vertx, settings.maxPerUser(), ADMISSION_LEASE_MS);
    retained = new Retention(settings.retentionMs(), settings.retainedJobs(), System::currentTimeMillis);
    vertx.setPeriodic(Math.max(100, Math.min(5_000, settings.retentionMs() / 4)), t -> retained.sweep());
    vertx.setPeriodic(ADMISSION_LEASE_MS / 3, t -> admission.renew()
        .onFailure(e -> log.warn("Could not renew the running jobs' leases: {}", e.toString())));
    workers.onLost(node -> context.runOnContext(v -> workerLost(node)));
    return Future.succeededFuture();
  }

  public Settings settings() {
    return settings;
  }

  /** Which model to use: the request's, else the user's preferred, else the configured default, else the first ready one (local first). */
  public Future<String> resolveModel(String requested, String preferred) {
    return models().compose(list -> {
      JsonArray models = list.getJsonArray("models", new JsonArray());
      String name = requested != null ? requested : preferred != null ? preferred : settings.defaultModel();
      if (name == null) {
        // the first ready model, this cluster's own before an upstream service's
        for (boolean local : new boolean[] {true, false}) {
          for (Object o : models) {
            if (ModelStatus.isReady(o) && local != "upstream".equals(((JsonObject) o).getString("origin"))) {
              return Future.succeededFuture(((JsonObject) o).getString("name"));
            }
          }
        }
        return Future.failedFuture(new ApiError(503, "no_model", "no model is ready to serve; see GET /api/models"));
      }
      if (list.getBoolean("reachable", true) && models.stream().noneMatch(o -> name.equals(((JsonObject) o).getString("name")))) {
        if (requested != null) {
          return Future.failedFuture(new ApiError(404, "model_not_found", "unknown model '" + name + "'; see GET /api/models",
              "model"));
        }
        // said at once, rather than a wait for a worker that will never come
        return Future.failedFuture(preferred != null
            ? new ApiError(409, "preferred_model_unavailable", "your preferred model '" + name + "' is not served any more; "
                + "choose another in Settings (or send a model)")
            : new ApiError(503, "no_model", "the default model '" + name + "' is not served; see GET /api/models"));
      }
      return Future.succeededFuture(name);
    });
  }

  /** The models the live workers hold ({reachable: false} when there is no worker at all). */
  public Future<JsonObject> models() {
    return Future.succeededFuture(workers.models().put("reachable", workers.workerCount() > 0));
  }

  /**
   * Tokenizes or detokenizes with a local model's own tokenizer and chat template, on a worker that
   * holds it (see {@link Addresses#tokenizeOn}); an upstream service's model cannot (400).
   */
  public Future<JsonObject> tokenize(String model, JsonObject request) {
    return resolveModel(model, null).compose(m -> {
      String node = workers.pick(m, null);
      if (node == null) {
        return Future.failedFuture(new ApiError(503, "no_worker", "no worker serves model '" + m + "' right now"));
      }
      io.vertx.core.eventbus.DeliveryOptions opts = new io.vertx.core.eventbus.DeliveryOptions()
          .setSendTimeout(Math.max(5_000, settings.workerTimeoutMs()));
      return vertx.eventBus().<JsonObject>request(Addresses.tokenizeOn(m, node), request, opts).map(r -> r.body())
          .recover(e -> {
            if (e instanceof io.vertx.core.eventbus.ReplyException re
                && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS) {
              return Future.failedFuture(ApiError.badRequest("model", "model '" + m
                  + "' is served by an upstream service, whose tokenizer this server does not have"));
            }
            return Future.failedFuture(Dispatcher.mapWorkerFailure(e));
          });
    });
  }

  /** Starts a job; the future completes once a worker accepted it and {@code onAccepted} succeeded. */
  public Future<JobRef> start(Spec spec) {
    return confined(() -> startHere(spec));
  }

  private Future<JobRef> startHere(Spec spec) {
    ApiError closed = system.refuseAnswers();
    if (closed != null) {
      return Future.failedFuture(closed);
    }
    String jobId = UUID.randomUUID().toString();
    return quotas.admit(spec.userId())
        .compose(limits -> admission.admit(spec.userId(), jobId, limits.requestsPerMinute()))
        .compose(admitted -> startAdmitted(spec, jobId));
  }

  private Future<JobRef> startAdmitted(Spec spec, String jobId) {
    Job job = new Job(jobId, spec.userId(), spec.model(), spec.trimLeading());
    if (spec.preamble() != null) {
      spec.preamble().forEach(e -> job.event((JsonObject) e));
    }
    job.payload = spec.payload();
    job.options = spec.options();
    Promise<Void> persisted = Promise.promise();
    job.writer = new JobWriter(vertx, job, store, settings.flushTokens(), persisted.future());
    String replyTo = Addresses.stream(jobId);
    MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(replyTo);
    consumer.handler(m -> onWorkerMessage(job, m.body(), consumer));
    JsonObject body = spec.payload().copy().put("jobId", jobId).put("userId", spec.userId().toString())
        .put("model", spec.model()).put("options", spec.options()).put("replyTo", replyTo);
    jobs.put(jobId, job);
    return consumer.completion()
        .compose(v -> dispatcher.send(body, null))
        .compose(accepted -> {
          job.promptTokens = accepted.getInteger("promptTokens", 0);
          job.workerNode = accepted.getString("worker");
          return here(spec.onAccepted().apply(job.ref())).map(saved -> {
            job.messageId = saved.messageId();
            job.baseContent = saved.baseContent();
            return (Void) null;
          }).recover(e -> {
            vertx.eventBus().publish(Addresses.CANCEL, new JsonObject().put("jobId", jobId));
            return Future.failedFuture(e);
          });
        })
        .onSuccess(v -> {
          persisted.complete();
          unshare.put(jobId, JobSharing.share(vertx, job));
          long timer = vertx.setPeriodic(settings.flushMs(), id -> tick(job));
          job.finished().onComplete(x -> vertx.cancelTimer(timer));
        })
        .onFailure(e -> {
          jobs.remove(jobId);
          admission.release(job.userId, jobId);
          consumer.unregister();
        })
        .map(v -> job.ref());
  }

  /** The caller's job at this moment (here or on another API node), or null when there is none of theirs. */
  public Future<JobSnapshot> snapshot(String jobId, UUID userId) {
    return confined(() -> find(jobId, userId).map(job -> job == null ? null : job.snapshot()));
  }

  /**
   * Follows the caller's job from after sequence number {@code from}: the listener hears, on the
   * caller's context and in order, the job's start, the deltas since {@code from} and the live ones,
   * then its end. Null when the caller has no such job (then the listener hears nothing).
   */
  public Future<Following> follow(String jobId, UUID userId, long from, JobListener listener) {
    Context caller = Vertx.currentContext();
    JobListener relay = caller == null || caller == context ? listener : new JobListener() {
      @Override
      public void start(JobRef job, boolean done) {
        caller.runOnContext(v -> listener.start(job, done));
      }

      @Override
      public void delta(long seq, String text, JsonObject extra) {
        caller.runOnContext(v -> listener.delta(seq, text, extra));
      }

      @Override
      public void done(long seq, JsonObject result) {
        caller.runOnContext(v -> listener.done(seq, result));
      }
    };
    return confined(() -> find(jobId, userId).map(job -> {
      if (job == null) {
        return null;
      }
      relay.start(job.ref(), job.isDone());
      job.subscribe(from, relay);
      return () -> context.runOnContext(v -> job.unsubscribe(relay));
    }));
  }

  /** The caller's job's result once it has ended (null when there is no such job). */
  public Future<JsonObject> finished(String jobId, UUID userId) {
    return confined(() -> find(jobId, userId).compose(job -> job == null ? Future.succeededFuture(null)
        : job.finished().map(JsonObject::copy)));
  }

  /** Stops the caller's job (it ends with status 'stopped') and gives its final result; null when there is no such job. */
  public Future<JsonObject> stop(String jobId, UUID userId) {
    return confined(() -> find(jobId, userId).compose(job -> {
      if (job == null) {
        return Future.succeededFuture(null);
      }
      if (!job.isDone()) {
        cancel(jobId);
      }
      return job.finished().map(JsonObject::copy);
    }));
  }

  /**
   * Stops every answer the user has running, on any API node of the cluster (the admission's shared
   * count knows them all); answers the ids of the jobs asked to stop.
   */
  public Future<JsonArray> stopAll(UUID userId) {
    return Admission.runningOf(vertx, userId).map(running -> {
      JsonArray ids = new JsonArray();
      if (running != null) {
        running.fieldNames().forEach(id -> {
          cancel(id);
          ids.add(id);
        });
      }
      return ids;
    });
  }

  /** Asks the worker holding the job to stop it, not waiting for the end (a client that left its raw call). */
  public void cancel(String jobId) {
    vertx.eventBus().publish(Addresses.CANCEL, new JsonObject().put("jobId", jobId));
  }

  /** The caller's job, here or on another API node (then a mirror), or null; on this context. */
  private Future<Job> find(String jobId, UUID userId) {
    Job local = jobs.get(jobId);
    if (local != null) {
      return Future.succeededFuture(local.userId.equals(userId) ? local : null);
    }
    Job mirror = mirrors.get(jobId);
    if (mirror != null) {
      return Future.succeededFuture(mirror.userId.equals(userId) ? mirror : null);
    }
    return JobMirror.open(vertx, jobId, userId).compose(m -> here(Future.succeededFuture(m))).onSuccess(m -> {
      if (m != null && !mirrors.containsKey(jobId)) {
        mirrors.put(jobId, m);
        m.finished().onComplete(x -> context.runOnContext(v -> retained.keep("mirror:" + jobId, () -> mirrors.remove(jobId))));
      }
    }).map(m -> m == null ? null : mirrors.getOrDefault(jobId, m));
  }

  private void onWorkerMessage(Job job, JsonObject body, MessageConsumer<JsonObject> consumer) {
    JobStream msg = JobStream.read(body);
    if (msg == null || msg.attempt() != job.attempt) {
      return; // not the protocol's, or from a worker this job has already been moved away from
    }
    job.lastWorkerMessageAt = System.currentTimeMillis();
    if (msg instanceof JobStream.Delta d) {
      job.append(d.text(), d.openai());
      job.writer.delta();
    } else if (msg instanceof JobStream.Done d) {
      consumer.unregister();
      job.openai = d.openai();
      end(job, d.reason(), d.usage(), d.error());
    }
  }

  /** Every flush interval: save pending text; end a job whose worker went silent. */
  private void tick(Job job) {
    if (job.isDone() || job.ending) {
      return;
    }
    job.writer.tick();
    if (System.currentTimeMillis() - job.lastWorkerMessageAt > settings.stallTimeoutMs()) {
      log.warn("Job {}: no word from its worker for {} s; ending it", job.id, settings.stallTimeoutMs() / 1000);
      end(job, FinishReason.ERROR, new JsonObject(), "the worker stopped responding");
    }
  }

  private void end(Job job, FinishReason reason, JsonObject usage, String error) {
    if (job.isDone() || job.ending) {
      return;
    }
    job.ending = true;
    MessageStatus status = MessageStatus.ofFinish(reason);
    JsonObject u = usage.copy();
    if (error != null) {
      u.put("error", error);
    }
    Future<Void> saved = job.writer.finish(status, u);
    Future<Void> counted = JobWriter.throughOutage(vertx, job.id, () -> store.recordUsage(job.userId, job.model,
        usage.getInteger("promptTokens", job.promptTokens), usage.getInteger("completionTokens", 0)));
    // Clients hear "done" only once the message is saved, so what they read back equals what they saw.
    Future.all(saved, counted).onComplete(ar -> {
      if (ar.failed()) {
        log.error("Job {}: final save failed: {}", job.id, ar.cause().toString());
      }
      JsonObject result = new JsonObject().put("finishReason", reason.wire()).put("status", status.wire()).put("model", job.model)
          .put("usage", usage);
      if (error != null) {
        result.put("error", error);
      }
      if (job.messageId != null) {
        result.put("messageId", job.messageId.toString());
      }
      if (job.openai != null) {
        result.put("openai", job.openai);
      }
      if (job.workerNode != null) {
        result.put("worker", job.workerNode);
      }
      job.finish(result);
      admission.release(job.userId, job.id);
      retained.keep(job.id, () -> {
        jobs.remove(job.id);
        Runnable stop = unshare.remove(job.id);
        if (stop != null) {
          stop.run();
        }
      });
    });
  }

  /**
   * A worker was lost mid-generation: each of its jobs goes on from the text already streamed on
   * another worker with the model (a new attempt), or ends with status 'error' when there is none.
   * Either way the saved message keeps everything streamed so far.
   */
  private void workerLost(String node) {
    for (Job job : jobs.values()) {
      if (job.isDone() || job.ending || !node.equals(job.workerNode) || job.writer == null) {
        continue;
      }
      job.attempt++;
      int used = job.deltaCount();
      JsonObject body = Dispatcher.resumption(job);
      log.warn("Job {}: worker {} lost after {} deltas; moving it to another worker", job.id, node, used);
      dispatcher.send(body, node)
          .onSuccess(accepted -> {
            job.workerNode = accepted.getString("worker");
            job.lastWorkerMessageAt = System.currentTimeMillis();
          })
          .onFailure(e -> end(job, FinishReason.ERROR, new JsonObject().put("completionTokens", used),
              "the worker running this job was lost and no other worker could take it over: " + e.getMessage()));
    }
  }

  /** The future's outcome, delivered on this verticle's context. */
  private <T> Future<T> here(Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> {
      if (Vertx.currentContext() == context) {
        p.handle(ar);
      } else {
        context.runOnContext(v -> p.handle(ar));
      }
    });
    return p.future();
  }

  /**
   * Runs {@code work} on this verticle's context (where every job's state lives) and completes the
   * answer back on the caller's context.
   */
  private <T> Future<T> confined(Supplier<Future<T>> work) {
    Context caller = Vertx.currentContext();
    if (caller == context) {
      return run(work);
    }
    Promise<T> answer = Promise.promise();
    context.runOnContext(v -> run(work).onComplete(ar -> {
      if (caller != null) {
        caller.runOnContext(x -> answer.handle(ar));
      } else {
        answer.handle(ar);
      }
    }));
    return answer.future();
  }

  private static <T> Future<T> run(Supplier<Future<T>> work) {
    try {
      return work.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
