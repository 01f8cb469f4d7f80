package io.chatserver.inference;

import io.chatserver.bus.Addresses;
import io.chatserver.bus.ModelStatus;
import io.chatserver.inference.engine.ModelRuntime;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The worker side of a node: loads each configured model on a background thread (a failing model
 * is reported and skipped, the others still load), deploys a {@link WorkerVerticle} per loaded
 * model, and publishes every model's status and free slots in its heartbeats on {@link Addresses#WORKERS}.
 */
public final class InferenceService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(InferenceService.class);

  private record Entry(ModelStatus status, String error, ModelRuntime runtime, WorkerVerticle verticle, String deployment) {
    Entry(ModelStatus status, String error, ModelRuntime runtime, WorkerVerticle verticle) {
      this(status, error, runtime, verticle, null);
    }
  }

  /** The last step a loading model reported ("loading x: layer 3/22"), shown by /api/models and the UI. */
  private final Map<String, String> progress = new java.util.concurrent.ConcurrentHashMap<>();

  private final Vertx vertx;
  private final Map<String, Entry> models = new ConcurrentHashMap<>();
  private final List<ModelRuntime.Spec> specs;
  private final Promise<Void> loaded = Promise.promise();
  private final String nodeId = java.util.UUID.randomUUID().toString();
  private final long heartbeatMs;
  private volatile boolean draining;
  private long heartbeatTimer = -1;

  private final io.micrometer.core.instrument.MeterRegistry registry;
  private final java.util.Map<String, InferenceMetrics> metrics = new java.util.concurrent.ConcurrentHashMap<>();

  public InferenceService(Vertx vertx, List<ModelRuntime.Spec> specs, long heartbeatMs) {
    this(vertx, specs, heartbeatMs, null);
  }

  /** @param registry where each model's inference metrics go (null: none) */
  public InferenceService(Vertx vertx, List<ModelRuntime.Spec> specs, long heartbeatMs,
                          io.micrometer.core.instrument.MeterRegistry registry) {
    this.registry = registry;
    this.vertx = vertx;
    this.specs = new java.util.concurrent.CopyOnWriteArrayList<>(specs);
    this.heartbeatMs = heartbeatMs;
  }

  /** This worker node's id in heartbeats and job addresses. */
  public String nodeId() {
    return nodeId;
  }

  /** Starts the heartbeats and the loading in the background; {@link #loaded()} completes when all are tried. */
  public Future<Void> start() {
    for (ModelRuntime.Spec s : specs) {
      models.put(s.name(), new Entry(ModelStatus.LOADING, null, null, null));
    }
    if (specs.isEmpty()) {
      log.warn(ModelStatus.HOW_TO_ADD);
    }
    heartbeatTimer = vertx.setPeriodic(1, heartbeatMs, t -> beat(false));
    Thread loader = new Thread(this::loadAll, "model-loader");
    loader.setDaemon(true);
    loader.start();
    return Future.succeededFuture();
  }

  private void loadAll() {
    for (ModelRuntime.Spec spec : specs) {
      loadOne(spec);
    }
    loaded.tryComplete();
  }

  /** Loads one model (blocking) and serves it; a failure is reported as the model's status. Returns the error or null. */
  String loadOne(ModelRuntime.Spec spec) {
    long t0 = System.nanoTime();
    try {
      ModelRuntime runtime = ModelRuntime.load(spec, msg -> {
        log.info("{}", msg);
        progress.put(spec.name(), msg);
      });
      if (registry != null) {
        InferenceMetrics m = new InferenceMetrics(registry, spec.name(), nodeId, runtime.scheduler());
        runtime.scheduler().observe(m);
        InferenceMetrics old = metrics.put(spec.name(), m);
        if (old != null) {
          old.close();
        }
      }
      WorkerVerticle verticle = new WorkerVerticle(runtime, nodeId);
      String deployment = vertx.deployVerticle(verticle).toCompletionStage().toCompletableFuture().get();
      models.put(spec.name(), new Entry(ModelStatus.READY, null, runtime, verticle, deployment));
      progress.remove(spec.name());
      beat(false);
      log.info("Model {} ready in {} ms", spec.name(), (System.nanoTime() - t0) / 1_000_000);
      return null;
    } catch (Exception | Error e) {
      String reason = e.getMessage() == null ? e.toString() : e.getMessage();
      models.put(spec.name(), new Entry(ModelStatus.ERROR, reason, null, null));
      progress.remove(spec.name());
      beat(false);
      log.error("Model {} ({}) failed to load: {}", spec.name(), spec.path(), reason);
      return reason;
    }
  }

  /** Adds a model while running (blocking: call it off the event loop); null, or why it did not load. */
  public String add(ModelRuntime.Spec spec) {
    if (models.containsKey(spec.name())) {
      return "a model named " + spec.name() + " is already served here";
    }
    specs.add(spec);
    models.put(spec.name(), new Entry(ModelStatus.LOADING, null, null, null));
    beat(false);
    return loadOne(spec);
  }

  /** Stops serving a model (its running jobs end with an error) and frees it; false when it is not here. Blocking. */
  public boolean remove(String name) {
    Entry e = models.remove(name);
    specs.removeIf(s -> s.name().equals(name));
    if (e == null) {
      return false;
    }
    if (e.deployment() != null) {
      try {
        vertx.undeploy(e.deployment()).toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception ex) {
        log.warn("Undeploying {} failed: {}", name, ex.toString());
      }
    }
    if (e.runtime() != null) {
      e.runtime().close();
    }
    InferenceMetrics m = metrics.remove(name);
    if (m != null) {
      m.close();
    }
    beat(false);
    log.info("Model {} unloaded", name);
    return true;
  }

  /** Tells the API nodes what this worker holds (and, when leaving, that it is gone). */
  private void beat(boolean leaving) {
    JsonObject beat = list().put("nodeId", nodeId).put("draining", draining);
    if (leaving) {
      beat.put("leaving", true);
    }
    vertx.eventBus().publish(Addresses.WORKERS, beat);
  }

  /** True when at least one model is loaded. */
  public boolean anyReady() {
    return models.values().stream().anyMatch(e -> e.status() == ModelStatus.READY);
  }

  /**
   * Graceful stop (SIGTERM): take no new jobs, let the running ones finish (up to {@code timeoutMs}),
   * then say goodbye. Blocking; call it off the event loop.
   */
  public void drain(long timeoutMs) {
    draining = true;
    beat(false);
    for (Entry e : models.values()) {
      if (e.verticle() != null) {
        try {
          e.verticle().stopTakingJobs().toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception ex) {
          log.warn("Could not stop taking jobs for {}: {}", e.runtime().name(), ex.toString());
        }
      }
    }
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline && busy() > 0) {
      log.info("Draining: {} job(s) still running", busy());
      try {
        Thread.sleep(500);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (busy() > 0) {
      log.warn("Drain timed out with {} job(s) still running; they end with an error", busy());
    }
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
    }
    beat(true);
  }

  private int busy() {
    int n = 0;
    for (Entry e : models.values()) {
      if (e.runtime() != null) {
        n += e.runtime().scheduler().running() + e.runtime().scheduler().waiting();
      }
    }
    return n;
  }

  public Future<Void> loaded() {
    return loaded.future();
  }

  /** The loaded runtime of a model served here, or null (benchmarks and tests). */
  public ModelRuntime runtime(String name) {
    Entry e = models.get(name);
    return e == null ? null : e.runtime();
  }

  /**
   * Forgets what the models of this node keep between answers: the prefixes kept for reuse and the
   * compiled grammars (an admin's "clear caches"); answers stay the same, the next ones only do more
   * work. Returns how many models it touched.
   */
  public int clearCaches() {
    int n = 0;
    for (Entry e : models.values()) {
      if (e.runtime() != null) {
        e.runtime().clearCaches();
        n++;
      }
    }
    return n;
  }

  /** The scheduler of a loaded model of this node, or null (tests pace it with a StepGate). */
  public io.chatserver.inference.engine.BatchScheduler scheduler(String model) {
    Entry e = models.get(model);
    return e == null || e.runtime() == null ? null : e.runtime().scheduler();
  }

  /** The models of this node and their status. */
  public JsonObject list() {
    JsonArray out = new JsonArray();
    for (ModelRuntime.Spec s : specs) {
      Entry e = models.get(s.name());
      JsonObject m = new JsonObject().put("name", s.name()).put("status", e.status().wire()).put("origin", "local");
      if (e.error() != null) {
        m.put("error", e.error());
      }
      if (e.status() == ModelStatus.LOADING && progress.containsKey(s.name())) {
        m.put("progress", progress.get(s.name()));
      }
      if (e.runtime() != null) {
        m.put("info", e.runtime().info().put("freeSlots", e.runtime().scheduler().freeSlots())
            .put("running", e.runtime().scheduler().running()).put("waiting", e.runtime().scheduler().waiting()));
      }
      out.add(m);
    }
    JsonObject reply = new JsonObject().put("models", out);
    if (specs.isEmpty()) {
      reply.put("hint", ModelStatus.HOW_TO_ADD);
    }
    return reply;
  }


  @Override
  public void close() {
    for (Entry e : models.values()) {
      if (e.runtime() != null) {
        e.runtime().close();
      }
    }
  }
}
