package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.bus.Addresses;
import io.chatserver.bus.JobFailure;
import io.chatserver.bus.ModelStatus;
import io.chatserver.chat.MessageStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.chatserver.cluster.WorkerRegistry;

import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The API side of generation. It never runs a model: it sends a job to a worker over the event bus,
 * receives the worker's numbered deltas on a per-job address, keeps them for any client to replay
 * (SSE with Last-Event-ID, the SockJS bridge), saves the text into the assistant message as it
 * grows (batched by time and token count, and at the end), and enforces the limits: one running
 * generation per user (429), a worker within a time limit (504), the workers' queue (503).
 */
public final class GenerationService {

  private static final Logger log = LoggerFactory.getLogger(GenerationService.class);

  /** Limits and timings, from {@code conf/config.json: generation}. */
  public record Settings(long workerTimeoutMs, int maxPerUser, long retentionMs, long flushMs, int flushTokens,
                         long stallTimeoutMs, String defaultModel) {
    public static Settings fromJson(JsonObject g) {
      return new Settings(g.getLong("workerTimeoutMs", 5000L), g.getInteger("maxConcurrentPerUser", 1),
          g.getLong("retentionSeconds", 600L) * 1000, g.getLong("flushIntervalMs", 250L), g.getInteger("flushTokens", 32),
          g.getLong("stallTimeoutSeconds", 120L) * 1000, g.getString("defaultModel"));
    }
  }

  /**
   * What to run. {@code payload} holds prompt / messages / suffix / assistantPrefix (see
   * {@link Addresses}); {@code onAccepted} runs once a worker took the job (e.g. creates the chat
   * messages and sets the job's message id) and can still refuse it.
   */
  public record Spec(UUID userId, String model, JsonObject payload, JsonObject options, boolean trimLeading,
                     Function<Job, Future<Void>> onAccepted) {}

  private final Vertx vertx;
  private final GenerationStore store;
  private final Settings settings;
  private final WorkerRegistry workers;
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();
  private final Map<String, Job> mirrors = new ConcurrentHashMap<>();
  private final Map<UUID, Set<String>> running = new ConcurrentHashMap<>();

  public GenerationService(Vertx vertx, GenerationStore store, Settings settings, WorkerRegistry workers) {
    this.vertx = vertx;
    this.store = store;
    this.settings = settings;
    this.workers = workers;
    workers.onLost(this::workerLost);
  }

  public Settings settings() {
    return settings;
  }

  public GenerationStore store() {
    return store;
  }

  /** The caller's job, or null (another user's job is treated as missing). */
  public Job job(String jobId, UUID userId) {
    Job j = jobs.get(jobId);
    return j != null && j.userId.equals(userId) ? j : null;
  }

  /** Which model to use: the request's, else the user's preferred, else the configured default, else the first ready one. */
  public Future<String> resolveModel(String requested, String preferred) {
    return models().compose(list -> {
      JsonArray models = list.getJsonArray("models", new JsonArray());
      String name = requested != null ? requested : preferred != null ? preferred : settings.defaultModel();
      if (name == null) {
        for (Object o : models) {
          if (ModelStatus.isReady(o)) {
            return Future.succeededFuture(((JsonObject) o).getString("name"));
          }
        }
        return Future.failedFuture(new ApiError(503, "no_model", "no model is ready to serve; see GET /api/models"));
      }
      if (list.getBoolean("reachable", true) && models.stream().noneMatch(o -> name.equals(((JsonObject) o).getString("name")))) {
        if (requested != null) {
          return Future.failedFuture(new ApiError(404, "model_not_found", "unknown model '" + name + "'; see GET /api/models",
              "model"));
        }
      }
      return Future.succeededFuture(name);
    });
  }

  /** The models the live workers hold ({reachable: false} when there is no worker at all). */
  public Future<JsonObject> models() {
    return Future.succeededFuture(workers.models().put("reachable", workers.workerCount() > 0));
  }

  /** Starts a job; the future completes once a worker accepted it and {@code onAccepted} succeeded. */
  public Future<Job> start(Spec spec) {
    Set<String> mine = running.computeIfAbsent(spec.userId(), k -> ConcurrentHashMap.newKeySet());
    String jobId = UUID.randomUUID().toString();
    synchronized (mine) {
      if (mine.size() >= settings.maxPerUser()) {
        return Future.failedFuture(new ApiError(429, "too_many_generations", "you already have " + mine.size()
            + " generation(s) running (the limit is " + settings.maxPerUser() + "); wait for it to finish or stop it with "
            + "POST /api/jobs/" + mine.iterator().next() + "/stop"));
      }
      mine.add(jobId);
    }
    Job job = new Job(jobId, spec.userId(), spec.model(), spec.trimLeading());
    job.payload = spec.payload();
    job.options = spec.options();
    String replyTo = Addresses.stream(jobId);
    MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(replyTo);
    Promise<Void> persisted = Promise.promise();
    Future<Void>[] saves = new Future[] {persisted.future()};
    job.saves = saves;
    consumer.handler(m -> onWorkerMessage(job, m.body(), consumer, saves));
    JsonObject body = spec.payload().copy().put("jobId", jobId).put("userId", spec.userId().toString())
        .put("model", spec.model()).put("options", spec.options()).put("replyTo", replyTo);
    jobs.put(jobId, job);
    long deadline = System.currentTimeMillis() + settings.workerTimeoutMs();
    return consumer.completion()
        .compose(v -> send(body, deadline, null))
        .compose(accepted -> {
          job.promptTokens = accepted.getInteger("promptTokens", 0);
          job.workerNode = accepted.getString("worker");
          return spec.onAccepted().apply(job).recover(e -> {
            vertx.eventBus().publish(Addresses.CANCEL, new JsonObject().put("jobId", jobId));
            return Future.failedFuture(e);
          });
        })
        .onSuccess(v -> {
          persisted.complete();
          share(job);
          long timer = vertx.setPeriodic(settings.flushMs(), id -> tick(job, saves));
          job.finished().onComplete(x -> vertx.cancelTimer(timer));
        })
        .onFailure(e -> {
          jobs.remove(jobId);
          release(job);
          consumer.unregister();
        })
        .map(v -> job);
  }

  /**
   * Lets other API nodes follow the job: its past is replayed on request, and from the first such
   * request on its events are published (nobody else listening, nothing crosses the bus).
   */
  private void share(Job job) {
    String events = Addresses.jobEvents(job.id);
    boolean[] publishing = new boolean[1];
    Job.Subscriber publisher = new Job.Subscriber() {
      @Override
      public void delta(long seq, String text) {
        vertx.eventBus().publish(events, new JsonObject().put("type", "delta").put("seq", seq).put("text", text));
      }

      @Override
      public void done(long seq, JsonObject result) {
        vertx.eventBus().publish(events, result.copy().put("type", "done").put("seq", seq));
      }
    };
    MessageConsumer<JsonObject> replay = vertx.eventBus().consumer(Addresses.jobReplay(job.id), m -> {
      JsonObject r = new JsonObject().put("userId", job.userId.toString()).put("model", job.model)
          .put("worker", job.workerNode).put("messageId", job.messageId == null ? null : job.messageId.toString());
      synchronized (job) {
        r.put("deltas", job.deltas()).put("done", job.result());
        if (!publishing[0] && !job.isDone()) {
          publishing[0] = true;
          job.subscribe(job.deltaCount(), publisher); // what follows the replay
        }
      }
      m.reply(r);
    });
    job.finished().onComplete(x -> vertx.setTimer(settings.retentionMs(), t -> replay.unregister()));
  }

  /** The caller's job, here or on another API node (then a mirror), or null. */
  public Future<Job> find(String jobId, UUID userId) {
    Job local = jobs.get(jobId);
    if (local != null) {
      return Future.succeededFuture(local.userId.equals(userId) ? local : null);
    }
    Job mirror = mirrors.get(jobId);
    if (mirror != null) {
      return Future.succeededFuture(mirror.userId.equals(userId) ? mirror : null);
    }
    return JobMirror.open(vertx, jobId, userId).onSuccess(m -> {
      if (m != null) {
        mirrors.put(jobId, m);
        m.finished().onComplete(x -> vertx.setTimer(settings.retentionMs(), t -> mirrors.remove(jobId)));
      }
    });
  }

  /**
   * Sends the job to the live worker with the model and the most free slots, retrying while there
   * is none (or it vanished), until the deadline (then 504).
   */
  private Future<JsonObject> send(JsonObject body, long deadline, String avoid) {
    long left = deadline - System.currentTimeMillis();
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(Math.max(1000, left));
    String node = workers.pick(body.getString("model"), avoid);
    Future<JsonObject> sent = node == null
        ? Future.failedFuture(new ReplyException(ReplyFailure.NO_HANDLERS, "no worker"))
        : vertx.eventBus().<JsonObject>request(Addresses.jobsOn(body.getString("model"), node), body, opts).map(m -> m.body());
    return sent
        .recover(e -> {
          if (e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
            long remaining = deadline - System.currentTimeMillis();
            if (remaining > 0) {
              Promise<JsonObject> retry = Promise.promise();
              vertx.setTimer(Math.max(1, Math.min(200, remaining)), t -> send(body, deadline, avoid).onComplete(retry));
              return retry.future();
            }
            return Future.failedFuture(new ApiError(504, "no_worker", "no worker serves model '" + body.getString("model")
                + "' right now (waited " + settings.workerTimeoutMs() + " ms); see GET /api/models"));
          }
          return Future.failedFuture(mapWorkerFailure(e));
        });
  }

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
        };
      }
    }
    return new ApiError(502, "worker_error", "the worker failed: " + e.getMessage());
  }

  private void onWorkerMessage(Job job, JsonObject msg, MessageConsumer<JsonObject> consumer, Future<Void>[] saves) {
    if (msg.getInteger("attempt", 0) != job.attempt) {
      return; // from a worker this job has already been moved away from
    }
    synchronized (job) {
      job.lastWorkerMessageAt = System.currentTimeMillis();
      if ("delta".equals(msg.getString("type"))) {
        job.append(msg.getString("text", ""));
        if (job.unsavedDeltas >= settings.flushTokens()) {
          save(job, saves);
        }
        return;
      }
    }
    if ("done".equals(msg.getString("type"))) {
      consumer.unregister();
      String reason = msg.getString("finishReason", "error");
      end(job, reason, msg.getJsonObject("usage", new JsonObject()), msg.getString("error"), saves);
    }
  }

  /** Every flush interval: save pending text; end jobs whose worker went silent. */
  private void tick(Job job, Future<Void>[] saves) {
    synchronized (job) {
      if (job.isDone()) {
        return;
      }
      if (job.unsavedDeltas > 0) {
        save(job, saves);
      }
    }
    if (System.currentTimeMillis() - job.lastWorkerMessageAt > settings.stallTimeoutMs()) {
      log.warn("Job {}: no word from its worker for {} s; ending it", job.id, settings.stallTimeoutMs() / 1000);
      end(job, "error", new JsonObject(), "the worker stopped responding", saves);
    }
  }

  /** Queues a save of the text so far behind the previous one (saves never overtake each other). */
  private void save(Job job, Future<Void>[] saves) {
    if (job.messageId == null) {
      job.unsavedDeltas = 0;
      return;
    }
    job.unsavedDeltas = 0;
    String snapshot = job.savedText();
    saves[0] = saves[0].compose(v -> store.saveText(job.messageId, snapshot)).recover(e -> {
      log.error("Job {}: saving text failed: {}", job.id, e.toString());
      return Future.succeededFuture();
    });
  }

  private void end(Job job, String reason, JsonObject usage, String error, Future<Void>[] saves) {
    MessageStatus status = MessageStatus.ofFinish(reason);
    JsonObject u = usage.copy();
    if (error != null) {
      u.put("error", error);
    }
    Future<Void> saved;
    synchronized (job) {
      if (job.isDone()) {
        return;
      }
      String text = job.savedText();
      saves[0] = saves[0].compose(v -> job.messageId == null ? Future.<Void>succeededFuture()
          : store.finish(job.messageId, text, status, job.model, u));
      saved = saves[0];
    }
    Future<Void> counted = store.recordUsage(job.userId, job.model, usage.getInteger("promptTokens", job.promptTokens),
        usage.getInteger("completionTokens", 0));
    // Clients hear "done" only once the message is saved, so what they read back equals what they saw.
    Future.all(saved, counted).onComplete(ar -> {
      if (ar.failed()) {
        log.error("Job {}: final save failed: {}", job.id, ar.cause().toString());
      }
      JsonObject result = new JsonObject().put("finishReason", reason).put("status", status.wire()).put("model", job.model)
          .put("usage", usage);
      if (error != null) {
        result.put("error", error);
      }
      if (job.messageId != null) {
        result.put("messageId", job.messageId.toString());
      }
      if (job.workerNode != null) {
        result.put("worker", job.workerNode);
      }
      synchronized (job) {
        job.finish(result);
      }
      release(job);
      vertx.setTimer(settings.retentionMs(), t -> jobs.remove(job.id));
    });
  }

  private void release(Job job) {
    Set<String> mine = running.get(job.userId);
    if (mine != null) {
      synchronized (mine) {
        mine.remove(job.id);
      }
    }
  }

  /**
   * A worker was lost mid-generation: each of its jobs goes on from the text already streamed on
   * another worker with the model (a new attempt), or ends with status 'error' when there is none.
   * Either way the saved message keeps everything streamed so far.
   */
  private void workerLost(String node) {
    for (Job job : jobs.values()) {
      if (job.isDone() || !node.equals(job.workerNode) || job.saves == null) {
        continue;
      }
      int used;
      JsonObject body;
      synchronized (job) {
        job.attempt++;
        used = job.deltaCount();
        body = job.payload.copy();
        String soFar = job.text();
        if (body.containsKey("messages")) {
          body.put("assistantPrefix", body.getString("assistantPrefix", "") + soFar);
        } else {
          body.put("prompt", body.getString("prompt", "") + soFar);
        }
        JsonObject opts = job.options == null ? new JsonObject() : job.options.copy();
        int max = opts.getInteger("max_tokens", io.chatserver.bus.SamplingOptions.DEFAULT_MAX_TOKENS);
        opts.put("max_tokens", Math.max(1, max - used));
        body.put("options", opts).put("jobId", job.id).put("userId", job.userId.toString()).put("model", job.model)
            .put("replyTo", Addresses.stream(job.id)).put("attempt", job.attempt);
      }
      log.warn("Job {}: worker {} lost after {} deltas; moving it to another worker", job.id, node, used);
      send(body, System.currentTimeMillis() + settings.workerTimeoutMs(), node)
          .onSuccess(accepted -> {
            job.workerNode = accepted.getString("worker");
            job.lastWorkerMessageAt = System.currentTimeMillis();
          })
          .onFailure(e -> end(job, "error", new JsonObject().put("completionTokens", used),
              "the worker running this job was lost and no other worker could take it over: " + e.getMessage(), job.saves));
    }
  }

  /** Asks the worker to stop the job (it ends with status 'stopped'). */
  public void stop(Job job) {
    vertx.eventBus().publish(Addresses.CANCEL, new JsonObject().put("jobId", job.id));
  }

}
