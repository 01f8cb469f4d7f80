package io.chatserver.cluster;

import io.chatserver.bus.Addresses;
import io.chatserver.bus.ModelStatus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The API side's view of the workers, from their heartbeats on {@link Addresses#WORKERS}: which
 * node holds which models and how many batch slots it has free. It routes each job to the worker
 * with the model and the most free slots (ties: the one given fewest jobs), notices a worker that
 * stopped beating (kill -9, network loss) within {@code workerDeadAfterMs}, and picks up workers
 * that join later without a restart.
 */
public final class WorkerRegistry {

  private static final Logger log = LoggerFactory.getLogger(WorkerRegistry.class);

  private static final class Worker {
    final String nodeId;
    volatile JsonObject beat;
    volatile long lastSeen;
    final Map<String, Integer> free = new ConcurrentHashMap<>();
    volatile long dispatched;

    Worker(String nodeId) {
      this.nodeId = nodeId;
    }
  }

  private final Vertx vertx;
  private final long deadAfterMs;
  private final Map<String, Worker> workers = new ConcurrentHashMap<>();
  private final List<Consumer<String>> lostListeners = new CopyOnWriteArrayList<>();

  public WorkerRegistry(Vertx vertx, long deadAfterMs) {
    this.vertx = vertx;
    this.deadAfterMs = deadAfterMs;
  }

  public void start() {
    vertx.eventBus().<JsonObject>consumer(Addresses.WORKERS, m -> onBeat(m.body()));
    vertx.setPeriodic(Math.max(100, deadAfterMs / 6), t -> sweep());
  }

  /** Called with the node id of every worker declared lost. */
  public void onLost(Consumer<String> listener) {
    lostListeners.add(listener);
  }

  /** Applies one heartbeat (synchronized with {@link #pick}, which reads what it writes). */
  synchronized void onBeat(JsonObject beat) {
    String node = beat.getString("nodeId");
    if (node == null) {
      return;
    }
    if (beat.getBoolean("leaving", false)) {
      if (workers.remove(node) != null) {
        log.info("Worker {} left the cluster", node);
      }
      return;
    }
    Worker w = workers.computeIfAbsent(node, n -> {
      log.info("Worker {} joined with models {}", n, names(beat));
      return new Worker(n);
    });
    w.beat = beat;
    w.lastSeen = System.currentTimeMillis();
    for (Object o : beat.getJsonArray("models", new JsonArray())) {
      JsonObject m = (JsonObject) o;
      JsonObject info = m.getJsonObject("info");
      w.free.put(m.getString("name"), info == null ? 0 : info.getInteger("freeSlots", 0));
    }
  }

  private void sweep() {
    long now = System.currentTimeMillis();
    for (Worker w : List.copyOf(workers.values())) {
      if (now - w.lastSeen > deadAfterMs) {
        workers.remove(w.nodeId);
        log.warn("Worker {} missed its heartbeats for {} ms: declared lost", w.nodeId, now - w.lastSeen);
        lostListeners.forEach(l -> l.accept(w.nodeId));
      }
    }
  }

  public boolean alive(String nodeId) {
    return workers.containsKey(nodeId);
  }

  /**
   * The node to send a job for {@code model} to, or null when no live, accepting worker has it
   * ready. The chosen node's free-slot count is lowered at once, so a burst spreads before the next heartbeat.
   */
  public synchronized String pick(String model, String avoid) {
    return pick(model, avoid, null);
  }

  /**
   * As above; jobs with the same {@code affinity} (a chat) go back to the worker that ran the last
   * one while it has a free slot, because that worker keeps the chat's cache for its next turn.
   */
  public synchronized String pick(String model, String avoid, String affinity) {
    String key = affinity == null ? null : model + "|" + affinity;
    if (key != null) {
      String lastNode = lastWorker.get(key);
      Worker last = lastNode == null ? null : workers.get(lastNode);
      if (last != null && !last.nodeId.equals(avoid) && last.beat != null && !last.beat.getBoolean("draining", false)
          && ready(last.beat, model) && last.free.getOrDefault(model, 0) > 0) {
        return take(last, model, key);
      }
    }
    Worker best = null;
    int bestFree = Integer.MIN_VALUE;
    for (Worker w : workers.values()) {
      if (w.nodeId.equals(avoid) || w.beat == null || w.beat.getBoolean("draining", false) || !ready(w.beat, model)) {
        continue;
      }
      int free = w.free.getOrDefault(model, 0);
      if (best == null || free > bestFree || free == bestFree && w.dispatched < best.dispatched) {
        best = w;
        bestFree = free;
      }
    }
    if (best == null) {
      return null;
    }
    return take(best, model, key);
  }

  private String take(Worker w, String model, String key) {
    w.free.merge(model, -1, Integer::sum);
    w.dispatched++;
    if (key != null) {
      lastWorker.put(key, w.nodeId);
    }
    return w.nodeId;
  }

  /** The worker each chat's last job went to (bounded: the oldest chats are forgotten). */
  private final java.util.Map<String, String> lastWorker = new java.util.LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(java.util.Map.Entry<String, String> eldest) {
      return size() > 10_000;
    }
  };

  private static boolean ready(JsonObject beat, String model) {
    for (Object o : beat.getJsonArray("models", new JsonArray())) {
      JsonObject m = (JsonObject) o;
      if (model.equals(m.getString("name")) && ModelStatus.isReady(m)) {
        return true;
      }
    }
    return false;
  }

  /** Every model any live worker has, merged: ready when one worker has it ready, with the number of workers. */
  public JsonObject models() {
    Map<String, JsonObject> merged = new LinkedHashMap<>();
    for (Worker w : workers.values()) {
      if (w.beat == null) {
        continue;
      }
      for (Object o : w.beat.getJsonArray("models", new JsonArray())) {
        JsonObject m = (JsonObject) o;
        JsonObject cur = merged.get(m.getString("name"));
        boolean ready = ModelStatus.isReady(m);
        if (cur == null || ready && !ModelStatus.isReady(cur)) {
          JsonObject copy = m.copy().put("workers", cur == null ? 0 : cur.getInteger("workers"));
          merged.put(m.getString("name"), copy);
          cur = copy;
        }
        if (ready) {
          cur.put("workers", cur.getInteger("workers") + 1);
        }
      }
    }
    JsonArray list = new JsonArray();
    merged.values().forEach(list::add);
    JsonArray nodes = new JsonArray();
    workers.values().forEach(w -> nodes.add(new JsonObject().put("nodeId", w.nodeId)
        .put("draining", w.beat != null && w.beat.getBoolean("draining", false)).put("models", names(w.beat))));
    return new JsonObject().put("models", list).put("workers", nodes);
  }

  public int workerCount() {
    return workers.size();
  }

  private static List<String> names(JsonObject beat) {
    List<String> out = new ArrayList<>();
    if (beat != null) {
      beat.getJsonArray("models", new JsonArray()).forEach(o -> out.add(((JsonObject) o).getString("name")));
    }
    return out;
  }
}
