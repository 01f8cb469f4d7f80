package io.chatserver.services;

import io.chatserver.bus.Addresses;
import io.chatserver.bus.JobFailure;
import io.chatserver.bus.ModelStatus;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Workers that hold an upstream service instead of a model: for every enabled service it learns the
 * models (the allow-list, else the service's {@code /models}), serves each as {@code <service>/<model>}
 * on the same job protocol as the local workers (a heartbeat on {@link Addresses#WORKERS}, jobs on
 * {@link Addresses#jobsOn}, cancels on {@link Addresses#CANCEL}) and streams each job from the
 * upstream's {@code /chat/completions} or {@code /completions} as numbered deltas and a done
 * message ({@link RemoteJob}). A service's concurrency limit holds cluster-wide (a shared counter);
 * a full service refuses jobs with {@link JobFailure#BUSY}. Reloads on {@link Addresses#SERVICES_CHANGED}.
 */
public final class RemoteWorkers extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(RemoteWorkers.class);

  private final ServiceStore store;
  private final long heartbeatMs;
  private final long acceptWithinMs;
  private final String nodeId = "remote-" + UUID.randomUUID();
  /** Model name ("service/model") -> its state, rebuilt on every reload. */
  private final Map<String, JsonObject> models = new LinkedHashMap<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final Map<String, RemoteJob> running = new HashMap<>();
  private HttpClient http;
  private long generation;

  /**
   * @param acceptWithinMs how long a job waits for the upstream's first answer before it is accepted
   *     anyway (below the API side's worker timeout), so that an upstream that refuses at once is a
   *     clear HTTP error rather than an empty answer
   */
  public RemoteWorkers(ServiceStore store, long heartbeatMs, long acceptWithinMs) {
    this.store = store;
    this.heartbeatMs = heartbeatMs;
    this.acceptWithinMs = acceptWithinMs;
  }

  /**
   * The remote workers of a node from its configuration: the cluster's heartbeat, and jobs accepted
   * within 60 % of {@code generation.workerTimeoutMs} (so the API side's wait is never the shorter).
   */
  public static RemoteWorkers forNode(ServiceStore store, JsonObject conf) {
    long heartbeatMs = conf.getJsonObject("cluster", new JsonObject()).getLong("heartbeatMs", 1000L);
    long workerTimeoutMs = conf.getJsonObject("generation", new JsonObject()).getLong("workerTimeoutMs", 5000L);
    return new RemoteWorkers(store, heartbeatMs, workerTimeoutMs * 3 / 5);
  }

  @Override
  public Future<?> start() {
    http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(64));
    vertx.eventBus().consumer(Addresses.SERVICES_CHANGED, m -> reload());
    vertx.eventBus().<JsonObject>consumer(Addresses.CANCEL, m -> {
      RemoteJob job = m.body() == null ? null : running.get(m.body().getString("jobId"));
      if (job != null) {
        job.cancel();
      }
    });
    vertx.setPeriodic(heartbeatMs, t -> beat());
    vertx.setPeriodic(30_000, t -> {
      if (models.values().stream().anyMatch(m -> ModelStatus.ERROR.wire().equals(m.getString("status")))) {
        reload(); // a service that was down at the last look may be back
      }
    });
    return reload();
  }

  public String nodeId() {
    return nodeId;
  }

  /** Reads the services again and serves their models (consumers re-registered). */
  private Future<Void> reload() {
    long mine = ++generation;
    return store.list().compose(services -> {
      List<Future<Void>> discovered = new ArrayList<>();
      Map<String, JsonObject> next = new LinkedHashMap<>();
      Map<String, UpstreamService> owner = new HashMap<>();
      for (UpstreamService s : services) {
        if (!s.enabled()) {
          continue;
        }
        discovered.add(discover(s).map(ids -> {
          for (String id : ids) {
            String name = s.name() + "/" + id;
            next.put(name, entry(name, s, ModelStatus.READY, null));
            owner.put(name, s);
          }
          return (Void) null;
        }).recover(e -> {
          String name = s.name() + "/*";
          next.put(name, entry(name, s, ModelStatus.ERROR, "service " + s.name() + ": " + e.getMessage()));
          return Future.succeededFuture();
        }));
      }
      return Future.join(discovered).transform(x -> {
        if (mine != generation) {
          return Future.succeededFuture(); // a newer reload runs
        }
        consumers.forEach(MessageConsumer::unregister);
        consumers.clear();
        models.clear();
        models.putAll(next);
        for (Map.Entry<String, UpstreamService> e : owner.entrySet()) {
          String model = e.getKey();
          UpstreamService s = e.getValue();
          consumers.add(vertx.eventBus().<JsonObject>consumer(Addresses.jobsOn(model, nodeId), m -> onJob(m, s, model)));
        }
        beat();
        log.info("Upstream services: {}", models.isEmpty() ? "none" : String.join(", ", models.keySet()));
        return Future.<Void>succeededFuture();
      });
    });
  }

  private static JsonObject entry(String name, UpstreamService s, ModelStatus status, String error) {
    JsonObject m = new JsonObject().put("name", name).put("status", status.wire()).put("origin", "upstream")
        .put("service", s.name());
    if (error != null) {
      m.put("error", error);
    }
    return m.put("info", new JsonObject().put("maxBatch", s.maxConcurrent()).put("freeSlots", s.maxConcurrent())
        .put("device", "upstream " + s.name()));
  }

  /** The service's model ids: its allow-list, else what its /models lists. */
  Future<List<String>> discover(UpstreamService s) {
    if (s.models() != null && !s.models().isEmpty()) {
      return Future.succeededFuture(s.models());
    }
    // a service that lists our own "<service>/..." models is this server (or routes back to it): not those again
    return Upstream.models(http, s, store.instanceId()).map(l -> l.ids().stream().filter(id -> !id.startsWith(s.name() + "/")).toList());
  }

  private boolean announced;

  /** Heartbeats only while there is something to serve: with no service this is no worker at all. */
  private void beat() {
    if (models.isEmpty()) {
      if (announced) {
        vertx.eventBus().publish(Addresses.WORKERS, new JsonObject().put("nodeId", nodeId).put("leaving", true)
            .put("models", new JsonArray()));
        announced = false;
      }
      return;
    }
    announced = true;
    JsonArray list = new JsonArray();
    Map<String, Integer> busy = new HashMap<>();
    running.values().forEach(j -> busy.merge(j.model(), 1, Integer::sum));
    models.values().forEach(m -> {
      JsonObject copy = m.copy();
      JsonObject info = copy.getJsonObject("info");
      info.put("freeSlots", Math.max(0, info.getInteger("maxBatch") - busy.getOrDefault(copy.getString("name"), 0)));
      list.add(copy);
    });
    vertx.eventBus().publish(Addresses.WORKERS, new JsonObject().put("nodeId", nodeId).put("draining", false)
        .put("models", list));
  }

  private void onJob(Message<JsonObject> msg, UpstreamService s, String model) {
    JsonObject job = msg.body();
    String jobId = job.getString("jobId");
    String replyTo = job.getString("replyTo");
    if (jobId == null || replyTo == null) {
      msg.fail(JobFailure.INVALID.code, "a job needs jobId and replyTo");
      return;
    }
    var counter = vertx.sharedData().getCounter("upstream.running." + s.name());
    counter.compose(c -> c.incrementAndGet().compose(n -> {
      if (n > s.maxConcurrent()) {
        return c.decrementAndGet().compose(x -> Future.<Void>failedFuture(new IllegalStateException("service " + s.name()
            + " is at its limit of " + s.maxConcurrent() + " concurrent requests; try again shortly")));
      }
      RemoteJob rj = new RemoteJob(vertx, http, s, model, job);
      running.put(jobId, rj);
      rj.ended().onComplete(x -> {
        running.remove(jobId);
        c.decrementAndGet();
      });
      rj.run(acceptWithinMs).onComplete(ar -> {
        if (ar.succeeded()) {
          msg.reply(new JsonObject().put("jobId", jobId).put("model", model).put("worker", nodeId).put("promptTokens", 0));
        } else if (ar.cause() instanceof UpstreamRefusal r) {
          msg.fail(JobFailure.UPSTREAM.code, r.encode());
        } else {
          msg.fail(JobFailure.FAILED.code, String.valueOf(ar.cause().getMessage()));
        }
      });
      return Future.<Void>succeededFuture();
    })).onFailure(e -> msg.fail(JobFailure.BUSY.code, e.getMessage()));
  }

  @Override
  public Future<?> stop() {
    running.values().forEach(RemoteJob::cancel);
    return Future.succeededFuture();
  }

}
