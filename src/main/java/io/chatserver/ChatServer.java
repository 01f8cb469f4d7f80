package io.chatserver;

import io.chatserver.api.HealthRoutes;
import io.chatserver.api.HttpServerVerticle;
import io.chatserver.cluster.ClusterSupport;
import io.chatserver.metrics.Metrics;
import io.chatserver.inference.InferenceService;
import io.chatserver.inference.ModelCatalog;
import io.chatserver.storage.Database;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.vertx.ext.web.Route;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Wires the server together: database (embedded or external, migrated), Vert.x, the stores and
 * routes, and the HTTP verticles. {@link #start} blocks until the server accepts requests.
 */
public final class ChatServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ChatServer.class);

  private final Vertx vertx;
  private final Database database;
  private final int port;
  private final ApiRouter.Features features;
  private final InferenceService inference;
  private final long drainTimeoutMs;

  private ChatServer(Vertx vertx, Database database, int port, ApiRouter.Features features,
                     InferenceService inference, long drainTimeoutMs) {
    this.features = features;
    this.inference = inference;
    this.vertx = vertx;
    this.database = database;
    this.port = port;
    this.drainTimeoutMs = drainTimeoutMs;
  }

  /**
   * Starts the parts of this node's role ({@code node.role}): {@code api} (database, HTTP API,
   * SockJS, routing of jobs to workers), {@code worker} (models, plus /health and /ready) or
   * {@code all} (both, the default). With {@code cluster.enabled} the node joins the Hazelcast cluster.
   */
  public static ChatServer start(JsonObject conf) throws Exception {
    long t0 = System.nanoTime();
    String role = conf.getJsonObject("node", new JsonObject()).getString("role", "all");
    if (!List.of("all", "api", "worker").contains(role)) {
      throw new IllegalArgumentException("node.role (NODE_ROLE) must be all, api or worker, not '" + role + "'");
    }
    boolean apiRole = !role.equals("worker");
    boolean workerRole = !role.equals("api");
    JsonObject cluster = conf.getJsonObject("cluster", new JsonObject());
    Path dataDir = Path.of(conf.getString("dataDir", "./data")).toAbsolutePath().normalize();
    JsonObject servicesConf = conf.getJsonObject("services", new JsonObject());
    String dbUrl = conf.getJsonObject("db", new JsonObject()).getString("url");
    // a worker node runs upstream services' remote workers too when it is given the database and the services' key
    boolean workerServices = !apiRole && servicesConf.getBoolean("enabled", true) && dbUrl != null && !dbUrl.isBlank()
        && servicesConf.getString("key") != null;
    if (!apiRole && servicesConf.getBoolean("enabled", true) && dbUrl != null && !workerServices) {
      log.warn("This worker node has DB_URL but no SERVICES_KEY: it cannot open the services' API keys, so it serves no "
          + "upstream service (give it the API nodes' SERVICES_KEY to serve them)");
    }
    Database database = apiRole || workerServices ? Database.open(conf) : null;
    JsonObject metricsConf = conf.getJsonObject("metrics", new JsonObject());
    Metrics metrics = metricsConf.getBoolean("enabled", true) ? new Metrics() : null;
    Vertx vertx;
    try {
      vertx = ClusterSupport.start(conf, metrics);
    } catch (Exception | Error e) {
      if (database != null) {
        database.close();
      }
      throw e;
    }
    try {
      JsonObject auth = conf.getJsonObject("auth");
      JsonObject http = conf.getJsonObject("http");
      InferenceService inference = null;
      if (workerRole && conf.getJsonObject("models", new JsonObject()).getBoolean("enabled", true)) {
        inference = new InferenceService(vertx, ModelCatalog.specs(conf), cluster.getLong("heartbeatMs", 1000L),
            metrics == null ? null : metrics.registry());
        await(inference.start());
        JsonObject modelsConf = conf.getJsonObject("models", new JsonObject());
        new io.chatserver.inference.ModelManager(vertx, inference, ModelCatalog.modelsDir(conf),
            modelsConf.getJsonObject("defaults", new JsonObject()), modelsConf.getString("hubEndpoint", "https://huggingface.co"),
            System.getenv("HF_TOKEN")).start();
      }
      InferenceService local = inference;
      ApiRouter.Features features = null;
      java.util.function.Function<Vertx, io.vertx.ext.web.Router> router;
      if (apiRole) {
        Pool pool = database.pool(vertx, conf.getJsonObject("db").getInteger("poolSize", 8));
        features = await(ApiNode.start(vertx, conf, pool, dataDir, role, local == null ? null : local::anyReady,
            metrics != null && metricsConf.getInteger("port") == null ? metrics : null));
        ApiRouter.Features f = features;
        router = v -> ApiRouter.create(v, f);
      } else {
        if (workerServices) {
          await(vertx.deployVerticle(io.chatserver.services.RemoteWorkers.forNode(
              io.chatserver.services.ServiceStore.open(database.pool(vertx, 2), conf, dataDir), conf)));
          log.info("This worker node also serves the upstream services' models (remote workers)");
        }
        HealthRoutes health = new HealthRoutes(role, null, null, local == null ? null : local::anyReady)
            .withNodeId(local == null ? null : local.nodeId());
        // a worker node has no accounts to check an admin token against: its /metrics is open (keep its port internal)
        Metrics open = metrics != null && metricsConf.getInteger("port") == null ? metrics : null;
        router = v -> ApiRouter.healthOnly(v, health, open);
      }
      if (metrics != null && metricsConf.getInteger("port") != null) {
        // metrics on a port of their own, without a token (for a Prometheus inside the network)
        io.vertx.ext.web.Router m = io.vertx.ext.web.Router.router(vertx);
        m.get("/metrics").handler(metrics::scrape);
        await(vertx.createHttpServer().requestHandler(m)
            .listen(metricsConf.getInteger("port"), metricsConf.getString("host") != null ? metricsConf.getString("host")
                : http.getString("host") != null ? http.getString("host") : "127.0.0.1"));
      }

      String host = http.getString("host", "127.0.0.1");
      int port = http.getInteger("port", 8080);
      int instances = Math.max(1, http.getInteger("instances", Runtime.getRuntime().availableProcessors()));
      if (port == 0 || !apiRole) {
        instances = 1; // each instance would pick its own random port; a worker serves health checks only
      }
      HttpServerVerticle[] first = new HttpServerVerticle[1];
      java.util.function.Function<Vertx, io.vertx.ext.web.Router> r = router;
      await(vertx.deployVerticle(() -> {
        HttpServerVerticle v = new HttpServerVerticle(r);
        if (first[0] == null) {
          first[0] = v;
        }
        return v;
      }, new DeploymentOptions().setInstances(instances).setConfig(http.copy().put("host", host).put("port", port))));
      int actual = first[0].actualPort();
      log.info("chat-server ({} node) listening on http://{}:{} (started in {} ms{})", role, host, actual,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), apiRole ? "; open it in a browser, API docs at /docs" : "");
      return new ChatServer(vertx, database, actual, features, inference,
          cluster.getLong("drainTimeoutSeconds", 60L) * 1000);
    } catch (Exception | Error e) {
      vertx.close();
      if (database != null) {
        database.close();
      }
      throw e;
    }
  }

  static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    } catch (TimeoutException e) {
      throw new IllegalStateException("start-up step timed out", e);
    }
  }

  public int port() {
    return port;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Every concrete route of the HTTP API as "METHOD /path/:param" (for the OpenAPI and isolation checks). */
  public List<String> routes() {
    List<String> out = new ArrayList<>();
    for (Route r : ApiRouter.create(vertx, features).getRoutes()) {
      if (r.getPath() == null || !r.isExactPath() || r.methods() == null) {
        continue;
      }
      r.methods().forEach(m -> out.add(m.name() + " " + r.getPath()));
    }
    return out;
  }

  /** The models of this process (null when models are disabled). */
  public InferenceService inference() {
    return inference;
  }

  @Override
  public void close() {
    if (inference != null) {
      inference.drain(drainTimeoutMs);
      inference.close();
    }
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("Vert.x did not close cleanly: {}", e.toString());
    }
    if (database != null) {
      database.close();
    }
  }
}
