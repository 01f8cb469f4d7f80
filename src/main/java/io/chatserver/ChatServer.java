package io.chatserver;

import io.chatserver.api.HealthRoutes;
import io.chatserver.api.HttpServerVerticle;
import io.chatserver.api.OpenApiRoutes;
import io.chatserver.auth.ApiKeyStore;
import io.chatserver.auth.AuthHandler;
import io.chatserver.auth.KeyRoutes;
import io.chatserver.auth.AuthRoutes;
import io.chatserver.auth.PasswordHasher;
import io.chatserver.auth.SecretStore;
import io.chatserver.auth.SessionStore;
import io.chatserver.auth.TokenService;
import io.chatserver.bridge.EventBusBridge;
import io.chatserver.chat.ChatRoutes;
import io.chatserver.cluster.ClusterSupport;
import io.chatserver.cluster.WorkerRegistry;
import io.chatserver.chat.ChatStore;
import io.chatserver.chat.ChatTransfer;
import io.chatserver.chat.TransferRoutes;
import io.chatserver.generation.ChatAnswers;
import io.chatserver.generation.GenerationRoutes;
import io.chatserver.generation.UsageRoutes;
import io.chatserver.generation.GenerationService;
import io.chatserver.generation.GenerationStore;
import io.chatserver.inference.InferenceService;
import io.chatserver.inference.ModelCatalog;
import io.chatserver.generation.ModelRoutes;
import io.chatserver.openai.OpenAiRoutes;
import io.chatserver.persona.PersonaRoutes;
import io.chatserver.persona.PersonaStore;
import io.chatserver.storage.Database;
import io.chatserver.user.UserRoutes;
import io.chatserver.user.UserStore;
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
import java.util.UUID;
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
  private final TokenService tokens;
  private final int port;
  private final ApiRouter.Features features;
  private final InferenceService inference;
  private final long drainTimeoutMs;

  private ChatServer(Vertx vertx, Database database, TokenService tokens, int port, ApiRouter.Features features,
                     InferenceService inference, long drainTimeoutMs) {
    this.features = features;
    this.inference = inference;
    this.vertx = vertx;
    this.database = database;
    this.tokens = tokens;
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
    Database database = apiRole ? Database.open(conf) : null;
    Vertx vertx;
    try {
      vertx = ClusterSupport.start(conf);
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
        inference = new InferenceService(vertx, ModelCatalog.specs(conf), cluster.getLong("heartbeatMs", 1000L));
        await(inference.start());
      }
      InferenceService local = inference;
      ApiRouter.Features features = null;
      TokenService tokens = null;
      java.util.function.Function<Vertx, io.vertx.ext.web.Router> router;
      if (apiRole) {
        JsonObject chatConf = conf.getJsonObject("chats", new JsonObject());
        Pool pool = database.pool(vertx, conf.getJsonObject("db").getInteger("poolSize", 8));
        tokens = new TokenService(vertx, SecretStore.jwtSecret(auth.getString("jwtSecret"), dataDir),
            auth.getInteger("accessTokenTtlSeconds", 900));
        SessionStore sessions = new SessionStore(pool, auth.getInteger("refreshTokenTtlDays", 30));
        PasswordHasher hasher = new PasswordHasher(vertx, auth.getInteger("bcryptCost", 10));
        UserStore users = new UserStore(pool);
        PersonaStore personas = new PersonaStore(pool);
        ChatStore chats = new ChatStore(pool);
        int maxContent = chatConf.getInteger("maxContentChars", 200_000);
        ApiKeyStore apiKeys = new ApiKeyStore(pool);
        AuthHandler authHandler = new AuthHandler(tokens, sessions, apiKeys);
        WorkerRegistry registry = new WorkerRegistry(vertx, cluster.getLong("workerDeadAfterMs", 3000L));
        registry.start();
        GenerationStore genStore = new GenerationStore(pool);
        GenerationService generation = new GenerationService(genStore,
            GenerationService.Settings.fromJson(conf.getJsonObject("generation", new JsonObject())), registry);
        await(vertx.deployVerticle(generation)); // owns every job of this node on its own context
        ChatAnswers answers = new ChatAnswers(generation, chats, users, maxContent);
        GenerationRoutes generationRoutes = new GenerationRoutes(generation, answers, chats, users, maxContent);
        io.chatserver.api.Cors cors = new io.chatserver.api.Cors(http.getString("corsOrigins", ""));
        EventBusBridge bridge = new EventBusBridge(vertx, authHandler, generation, answers, cors);
        bridge.start();
        String defaultModel = generation.settings().defaultModel();
        features = new ApiRouter.Features(
            authHandler,
            new AuthRoutes(users, sessions, tokens, hasher, authHandler),
            new UserRoutes(users),
            new PersonaRoutes(personas),
            new ChatRoutes(chats, personas, answers, maxContent),
            new TransferRoutes(new ChatTransfer(chats, maxContent)),
            new OpenApiRoutes(),
            new HealthRoutes(role, pool, () -> registry.models().getJsonArray("models").stream()
                .anyMatch(m -> io.chatserver.bus.ModelStatus.isReady(m)
                    && (defaultModel == null || defaultModel.equals(((JsonObject) m).getString("name")))),
                local == null ? null : local::anyReady),
            new ModelRoutes(generation::models),
            generationRoutes,
            new UsageRoutes(genStore),
            new KeyRoutes(apiKeys),
            new OpenAiRoutes(generation, maxContent),
            bridge,
            new io.chatserver.web.WebUi(),
            cors,
            http.getLong("bodyLimitBytes", 1_048_576L),
            http.getLong("importLimitBytes", 64L * 1_048_576L));
        await(bootstrapAdmin(users, hasher, auth));
        sweepAbandoned(vertx, genStore);
        ApiRouter.Features f = features;
        router = v -> ApiRouter.create(v, f);
      } else {
        HealthRoutes health = new HealthRoutes(role, null, null, local == null ? null : local::anyReady)
            .withNodeId(local == null ? null : local.nodeId());
        router = v -> ApiRouter.healthOnly(v, health);
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
        HttpServerVerticle v = new HttpServerVerticle(r, host, port);
        if (first[0] == null) {
          first[0] = v;
        }
        return v;
      }, new DeploymentOptions().setInstances(instances)));
      int actual = first[0].actualPort();
      log.info("chat-server ({} node) listening on http://{}:{} (started in {} ms{})", role, host, actual,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), apiRole ? "; open it in a browser, API docs at /docs" : "");
      return new ChatServer(vertx, database, tokens, actual, features, inference,
          cluster.getLong("drainTimeoutSeconds", 60L) * 1000);
    } catch (Exception | Error e) {
      vertx.close();
      if (database != null) {
        database.close();
      }
      throw e;
    }
  }

  /** Marks messages whose generation no node runs any more (restart, crash) as 'error', now and every minute. */
  private static void sweepAbandoned(Vertx vertx, GenerationStore store) {
    Runnable sweep = () -> store.markAbandoned(120).onSuccess(n -> {
      if (n > 0) {
        log.warn("Marked {} interrupted message(s) as 'error' (their text so far is kept)", n);
      }
    });
    sweep.run();
    vertx.setPeriodic(60_000, id -> sweep.run());
  }

  /** Creates the configured admin account, or gives an existing one the admin role. */
  private static Future<Void> bootstrapAdmin(UserStore users, PasswordHasher hasher, JsonObject auth) {
    String name = auth.getString("adminUsername");
    String password = auth.getString("adminPassword");
    if (name == null || name.isBlank()) {
      return Future.succeededFuture();
    }
    return users.credentials(name).compose(existing -> {
      if (existing != null) {
        return existing.role().equals("admin") ? Future.succeededFuture()
            : users.setRole(existing.id(), "admin").<Void>mapEmpty().onSuccess(v -> log.info("Gave {} the admin role", name));
      }
      if (password == null || password.length() < 8) {
        return Future.failedFuture(new IllegalArgumentException(
            "ADMIN_USERNAME is set but ADMIN_PASSWORD is missing or shorter than 8 characters"));
      }
      return hasher.hash(password).compose(h -> users.create(name, h, true)).<Void>mapEmpty()
          .onSuccess(v -> log.info("Created admin account {}", name));
    });
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

  /** Signs an access token as the server would (tests use it for expired-token checks). */
  public String accessToken(UUID userId, UUID sessionId, String username, String role, int ttlSeconds) {
    return tokens.accessToken(userId, sessionId, username, role, ttlSeconds);
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
