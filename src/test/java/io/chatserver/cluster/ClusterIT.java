package io.chatserver.cluster;

import io.chatserver.Api;
import io.chatserver.SseClient;
import io.chatserver.SseClient.Event;
import io.chatserver.TestDatabase;
import io.chatserver.inference.SharedModels;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real cluster: the built jar started as separate JVMs on 127.0.0.1 (1 API node + 2 workers,
 * Hazelcast with a cluster name of its own), then a third worker later. Jobs spread over the
 * workers; a worker killed with SIGKILL mid-stream loses nothing (its job moves to the other
 * worker and the saved text holds everything streamed); a worker that joins later gets jobs; a
 * worker sent SIGTERM finishes its job before leaving.
 */
@ExtendWith(VertxExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.Random.class) // each test makes the cluster it needs: any order works
class ClusterIT {

  private static final Path JAR = Path.of("target", "chat-server.jar").toAbsolutePath();

  private final String clusterName = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<Process> processes = new ArrayList<>();
  private final Map<String, Process> workersByNode = new HashMap<>();
  private final int[] hzPorts = new int[8]; // [0] API node, [7] second API node, [1..6] workers as they are started
  private int nextWorker = 1;
  private final String jwtSecret = "cluster-it-secret-" + UUID.randomUUID();
  private static final String ADMIN_PASSWORD = "cluster admin password";
  private final String servicesKey = "cluster-it-services-key-" + UUID.randomUUID();
  private String dbUrl;
  private int api2Port;
  private String members;
  private Path modelsDir;
  private Path logs;
  private int apiPort;
  private Api api;
  private Api api2;

  @BeforeAll
  void startCluster(Vertx vertx) throws Exception {
    assertTrue(Files.isRegularFile(JAR), "run through `mvn verify`: the cluster test needs " + JAR);
    logs = Files.createTempDirectory("cluster-it-logs");
    modelsDir = Files.createTempDirectory("cluster-models");
    Files.createSymbolicLink(modelsDir.resolve("stories260k"), SharedModels.stories260k());
    StringBuilder m = new StringBuilder();
    for (int i = 0; i < hzPorts.length; i++) {
      hzPorts[i] = freePort();
      m.append(i == 0 ? "" : ",").append("127.0.0.1:").append(hzPorts[i]);
    }
    members = m.toString();
    apiPort = freePort();
    dbUrl = TestDatabase.freshUrl();
    // the API nodes leave upstream services to the worker nodes that can open their keys (see remoteWorkersRunOnAWorkerNode)
    start("api", hzPorts[0], new HashMap<>(Map.of("NODE_ROLE", "api", "DB_URL", dbUrl, "PORT", String.valueOf(apiPort),
        "BCRYPT_COST", "4", "JWT_SECRET", jwtSecret, "ADMIN_USERNAME", "itadmin", "ADMIN_PASSWORD", ADMIN_PASSWORD,
        "SERVICES_KEY", servicesKey, "SERVICES_ENABLED", "false")));
    api = Api.connect(vertx, apiPort);
    ensureWorkers(2);
    waitFor(() -> api.get("/ready").status() == 200 && liveWorkers() == 2, 120, "the API node to see two workers");
    // a second API node on the same database: clients may be connected to either
    api2Port = freePort();
    start("api2", hzPorts[7], new HashMap<>(Map.of("NODE_ROLE", "api", "DB_URL", dbUrl, "PORT", String.valueOf(api2Port),
        "BCRYPT_COST", "4", "JWT_SECRET", jwtSecret, "SERVICES_KEY", servicesKey, "SERVICES_ENABLED", "false")));
    api2 = Api.connect(vertx, api2Port);
    waitFor(() -> api2.get("/ready").status() == 200, 120, "the second API node");
  }

  @AfterAll
  void stopCluster() {
    for (Process p : processes) {
      p.destroyForcibly();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private Process start(String name, int hzPort, Map<String, String> extra) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(javaBin(), "-Xmx512m", "-jar", JAR.toString())
        .redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile());
    Map<String, String> env = pb.environment();
    env.put("CLUSTER_ENABLED", "true");
    env.put("CLUSTER_NAME", clusterName);
    env.put("CLUSTER_HOST", "127.0.0.1");
    env.put("CLUSTER_PORT", String.valueOf(hzPort));
    env.put("CLUSTER_MEMBERS", members);
    env.put("HOST", "127.0.0.1");
    env.put("DATA_DIR", Files.createTempDirectory("node-" + name).toString());
    env.putAll(extra);
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  /** Starts workers until at least {@code n} are up, and waits until the API node sees them all. */
  private void ensureWorkers(int n) throws Exception {
    while (workersByNode.size() < n) {
      startWorker();
    }
    waitFor(() -> liveWorkers() == workersByNode.size(), 60, "the API node to see " + workersByNode.size() + " workers");
  }

  /** Starts the next worker and returns its node id (read from its /health). */
  private String startWorker() throws Exception {
    return startWorker(Map.of());
  }

  /** As above, with more environment (a worker that also serves upstream services). */
  private String startWorker(Map<String, String> extra) throws Exception {
    int i = nextWorker++;
    if (i >= hzPorts.length - 1) {
      throw new IllegalStateException("the test started more workers than it has Hazelcast ports for");
    }
    int port = freePort();
    Map<String, String> env = new HashMap<>(Map.of("NODE_ROLE", "worker", "PORT", String.valueOf(port),
        "MODEL_DIR", modelsDir.toString(), "SHARED_MODELS_DIR", "/nonexistent", "MODEL_DEVICE", "cpu",
        "MODEL_MAX_BATCH", "4", "MODEL_CONTEXT", "512"));
    env.putAll(extra);
    Process p = start("worker-" + i, hzPorts[i], env);
    String[] node = new String[1];
    waitFor(() -> {
      try {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + port + "/ready")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          return false;
        }
        var h = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + port + "/health")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        node[0] = new JsonObject(h.body()).getString("nodeId");
        return true;
      } catch (IOException e) {
        return false;
      }
    }, 120, "worker " + i + " to load its model");
    workersByNode.put(node[0], p);
    return node[0];
  }

  private int liveWorkers() {
    Api.User u = user();
    return api.as(u).get("/api/models").json().getJsonArray("workers").size();
  }

  private Api.User cachedUser;

  private Api.User user() {
    if (cachedUser == null) {
      cachedUser = api.register("observer");
    }
    return cachedUser;
  }

  interface Check {
    boolean ok() throws Exception;
  }

  private void waitFor(Check check, int seconds, String what) throws Exception {
    long deadline = System.currentTimeMillis() + seconds * 1000L;
    while (System.currentTimeMillis() < deadline) {
      if (!processes.get(0).isAlive()) {
        throw new AssertionError("the API node died; see " + logs);
      }
      try {
        if (check.ok()) {
          return;
        }
      } catch (RuntimeException | IOException e) {
        // not up yet
      }
      Thread.sleep(250);
    }
    throw new AssertionError("timed out waiting for " + what + "; logs in " + logs);
  }

  private JsonObject startChatJob(Api.User u, int maxTokens, long seed) {
    Api me = api.as(u);
    String chat = me.newChat("cluster");
    return me.post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Once upon a time").put("generate", true)
        .put("options", new JsonObject().put("max_tokens", maxTokens).put("seed", seed))).expect(201).json().put("chatId", chat);
  }

  private List<Event> readToEnd(Api.User u, String jobId, String lastEventId) throws Exception {
    return SseClient.read(apiPort, "/api/jobs/" + jobId + "/stream", u.token(), lastEventId, e -> e.name().equals("done"));
  }

  @Test
  void jobsSpreadOverTheWorkers() throws Exception {
    ensureWorkers(2);
    List<CompletableFuture<String>> workersUsed = new ArrayList<>();
    for (int i = 0; i < Math.max(4, workersByNode.size()); i++) {
      Api.User u = api.register("spread" + i);
      JsonObject job = startChatJob(u, 40, i);
      workersUsed.add(CompletableFuture.supplyAsync(() -> {
        try {
          List<Event> ev = readToEnd(u, job.getString("jobId"), null);
          return ev.get(ev.size() - 1).data().getString("worker");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    Set<String> used = new HashSet<>();
    for (CompletableFuture<String> f : workersUsed) {
      used.add(f.get(120, TimeUnit.SECONDS));
    }
    assertEquals(workersByNode.keySet(), used, "the jobs went to every worker");
  }

  @Test
  void aJobStartedOnOneApiNodeStreamsAndStopsThroughTheOther() throws Exception {
    ensureWorkers(1);
    Api.User u = api.register("roaming");
    JsonObject job = startChatJob(u, 400, 21);
    String jobId = job.getString("jobId");
    List<Event> viaOther = SseClient.read(api2Port, "/api/jobs/" + jobId + "/stream", u.token(), null, e -> e.id() >= 5);
    assertEquals(1, viaOther.get(0).id());
    JsonObject stopped = api2.withToken(u.token()).post("/api/jobs/" + jobId + "/stop", new JsonObject()).expect(200).json();
    assertEquals("stopped", stopped.getString("status"));
    List<Event> all1 = readToEnd(u, jobId, null);
    List<Event> all2 = SseClient.read(api2Port, "/api/jobs/" + jobId + "/stream", u.token(), "2", e -> e.name().equals("done"));
    assertEquals(SseClient.text(all1), SseClient.text(all1.subList(0, 2)) + SseClient.text(all2), "no gap, no duplicate");
    Api.User other = api.register("intruder");
    assertEquals(404, api2.withToken(other.token()).get("/api/jobs/" + jobId).status());
  }

  @Test
  void remoteWorkersRunOnAWorkerNodeGivenTheDatabaseAndTheServicesKey() throws Exception {
    ensureWorkers(1);
    int before = liveWorkers();
    String adminToken = api.post("/api/auth/login", new JsonObject().put("username", "itadmin").put("password", ADMIN_PASSWORD))
        .expect(200).json().getString("token");
    Api admin = api.withToken(adminToken);
    String key = admin.post("/api/users/me/keys", new JsonObject().put("name", "self")).expect(201).json().getString("key");
    // the cluster's own /v1 as the upstream: its local model comes back as self/stories260k, served by the worker below
    String id = admin.post("/api/admin/services", new JsonObject().put("name", "self").put("baseUrl", "http://127.0.0.1:" + apiPort + "/v1")
        .put("apiKey", key).put("models", new JsonArray().add("stories260k"))).expect(201).json().getString("id");
    String servicesWorker = startWorker(Map.of("DB_URL", dbUrl, "SERVICES_KEY", servicesKey));
    try {
      waitFor(() -> {
        for (Object o : admin.get("/api/models").json().getJsonArray("models")) {
          if ("self/stories260k".equals(((JsonObject) o).getString("name")) && "ready".equals(((JsonObject) o).getString("status"))) {
            return true;
          }
        }
        return false;
      }, 60, "the worker node's remote workers to serve self/stories260k");
      Api.User u = api.register("via-remote");
      String chat = api.as(u).newChat("remote");
      JsonObject started = api.as(u).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Once upon a time")
          .put("generate", true).put("model", "self/stories260k").put("options", new JsonObject().put("max_tokens", 6)))
          .expect(201).json();
      List<Event> ev = readToEnd(u, started.getString("jobId"), null);
      JsonObject done = ev.get(ev.size() - 1).data();
      assertEquals("done", done.getString("status"), done.encode());
      assertTrue(done.getString("worker").startsWith("remote-"), "a remote worker ran it: " + done.encode());
      assertTrue(SseClient.text(ev).length() > 0);
    } finally {
      admin.delete("/api/admin/services/" + id).expect(204);
      Process p = workersByNode.remove(servicesWorker);
      if (p != null) {
        p.destroy();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
    waitFor(() -> liveWorkers() == before, 60, "the services' worker node and its remote workers to leave");
  }

  @Test
  void maintenanceSetOnOneApiNodeHoldsOnTheOtherAtOnce() throws Exception {
    ensureWorkers(1);
    String adminToken = api.post("/api/auth/login", new JsonObject().put("username", "itadmin").put("password", ADMIN_PASSWORD))
        .expect(200).json().getString("token");
    Api.User u = api2.register("during-maintenance");
    String chat = api2.as(u).newChat("maintenance");
    try {
      api.withToken(adminToken).put("/api/system/status", new JsonObject().put("mode", "maintenance").put("message", "cluster test"))
          .expect(200);
      waitFor(() -> "maintenance".equals(api2.get("/api/system/status").json().getString("mode")), 5, "the other node to follow");
      Api.Resp refused = api2.as(u).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Hi").put("generate", true));
      assertEquals(503, refused.status(), refused.body());
      assertEquals("maintenance", refused.errorCode());
    } finally {
      api2.withToken(adminToken).put("/api/system/status", new JsonObject().put("mode", "normal")).expect(200);
    }
    waitFor(() -> "normal".equals(api.get("/api/system/status").json().getString("mode")), 5, "back to normal everywhere");
    api2.as(u).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Hi").put("generate", true)
        .put("options", new JsonObject().put("max_tokens", 4))).expect(201);
  }

  @Test
  void aWorkerKilledMidStreamLosesNothing() throws Exception {
    ensureWorkers(2);
    int workersBefore = workersByNode.size();
    Api.User u = api.register("killed");
    JsonObject job = startChatJob(u, 400, 11);
    String jobId = job.getString("jobId");
    List<Event> before = SseClient.read(apiPort, "/api/jobs/" + jobId + "/stream", u.token(), null, e -> e.id() >= 10);
    String victim = api.as(u).get("/api/jobs/" + jobId).json().getString("worker");
    workersByNode.remove(victim).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    List<Event> after = readToEnd(u, jobId, String.valueOf(before.get(before.size() - 1).id()));
    JsonObject done = after.get(after.size() - 1).data();
    String streamed = SseClient.text(before) + SseClient.text(after);
    assertEquals("done", done.getString("status"), "the job went on on the other worker: " + done.encode());
    assertNotEquals(victim, done.getString("worker"));
    assertEquals(streamed, done.getString("text"));
    JsonObject saved = api.as(u).get("/api/chats/" + job.getString("chatId") + "/messages/"
        + job.getString("assistantMessageId")).expect(200).json();
    assertEquals(streamed, saved.getString("content"), "PostgreSQL holds everything that was streamed");
    assertTrue(streamed.startsWith(SseClient.text(before)));
    waitFor(() -> liveWorkers() == workersBefore - 1, 10, "the API node to drop the dead worker");
    // and new jobs go to the survivor, never to the dead node
    JsonObject next = startChatJob(u, 5, 12);
    List<Event> ev = readToEnd(u, next.getString("jobId"), null);
    JsonObject end = ev.get(ev.size() - 1).data();
    assertEquals("done", end.getString("status"), end.encode());
    assertNotEquals(victim, end.getString("worker"));
  }

  @Test
  void aWorkerThatJoinsLaterGetsJobs() throws Exception {
    ensureWorkers(1);
    // every worker already running has been given a job, so the newcomer is the least used
    Api.User warm = api.register("warmup");
    for (int i = 0; i < workersByNode.size(); i++) {
      JsonObject j = startChatJob(warm, 3, 40 + i);
      readToEnd(warm, j.getString("jobId"), null);
    }
    int before = workersByNode.size();
    String newcomer = startWorker();
    waitFor(() -> liveWorkers() == before + 1, 30, "the API node to see the new worker");
    Api.User u = api.register("newcomer");
    JsonObject job = startChatJob(u, 10, 3);
    List<Event> ev = readToEnd(u, job.getString("jobId"), null);
    assertEquals(newcomer, ev.get(ev.size() - 1).data().getString("worker"), "the least-used worker is the new one");
  }

  @Test
  void sigtermFinishesTheRunningJobBeforeLeaving() throws Exception {
    ensureWorkers(1);
    int before = workersByNode.size();
    Api.User u = api.register("graceful");
    JsonObject job = startChatJob(u, 120, 5);
    String jobId = job.getString("jobId");
    SseClient.read(apiPort, "/api/jobs/" + jobId + "/stream", u.token(), null, e -> e.id() >= 3);
    String worker = api.as(u).get("/api/jobs/" + jobId).json().getString("worker");
    Process p = workersByNode.remove(worker);
    p.destroy(); // SIGTERM
    List<Event> ev = readToEnd(u, jobId, null);
    JsonObject done = ev.get(ev.size() - 1).data();
    assertEquals("done", done.getString("status"), done.encode());
    assertEquals(worker, done.getString("worker"), "it finished where it ran");
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the worker left after its job");
    waitFor(() -> liveWorkers() == before - 1, 10, "the API node to drop the worker that left");
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString() + (File.separatorChar == '\\' ? ".exe" : "");
  }
}
