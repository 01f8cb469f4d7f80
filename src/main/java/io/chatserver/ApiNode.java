package io.chatserver;

import io.chatserver.api.ContractValidation;
import io.chatserver.api.Cors;
import io.chatserver.api.HealthRoutes;
import io.chatserver.api.OpenApiRoutes;
import io.chatserver.auth.ApiKeyStore;
import io.chatserver.auth.AuthHandler;
import io.chatserver.auth.AuthRoutes;
import io.chatserver.auth.KeyRoutes;
import io.chatserver.auth.PasswordHasher;
import io.chatserver.auth.SecretStore;
import io.chatserver.auth.SessionStore;
import io.chatserver.auth.TokenService;
import io.chatserver.bot.BotRoutes;
import io.chatserver.bot.BotStore;
import io.chatserver.bridge.EventBusBridge;
import io.chatserver.bus.ModelStatus;
import io.chatserver.chat.ChatRoutes;
import io.chatserver.chat.ChatStore;
import io.chatserver.transfer.ChatTransfer;
import io.chatserver.transfer.TransferRoutes;
import io.chatserver.cluster.WorkerRegistry;
import io.chatserver.generation.ChatAnswers;
import io.chatserver.generation.GenerationRoutes;
import io.chatserver.generation.GenerationService;
import io.chatserver.generation.GenerationStore;
import io.chatserver.generation.ModelAdminRoutes;
import io.chatserver.generation.ModelRoutes;
import io.chatserver.generation.UsageRoutes;
import io.chatserver.openai.OpenAiRoutes;
import io.chatserver.persona.PersonaRoutes;
import io.chatserver.persona.PersonaStore;
import io.chatserver.services.RemoteWorkers;
import io.chatserver.services.ServiceRoutes;
import io.chatserver.services.ServiceStore;
import io.chatserver.user.UserRoutes;
import io.chatserver.user.UserStore;
import io.chatserver.web.WebUi;
import io.chatserver.system.SystemRoutes;
import io.chatserver.share.ShareRoutes;
import io.chatserver.metrics.Metrics;
import io.chatserver.api.Caller;
import io.chatserver.search.WebSearch;
import io.chatserver.files.FileRoutes;
import io.chatserver.files.FileStore;
import io.chatserver.personality.PersonalityCatalog;
import io.chatserver.personality.PersonalityRoutes;
import io.chatserver.quota.QuotaRoutes;
import io.chatserver.quota.Quotas;
import io.chatserver.support.FeedbackStore;
import io.chatserver.support.SupportRoutes;
import io.chatserver.support.TicketStore;
import io.chatserver.share.ShareStore;
import io.chatserver.system.SystemStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The API role of a node: builds the stores, services and routes over the database pool (each
 * feature from its own section of the configuration), deploys the generation service and the
 * bridge's consumers, creates the configured admin and starts the sweeper of interrupted answers.
 */
final class ApiNode {

  private static final Logger log = LoggerFactory.getLogger(ApiNode.class);

  private ApiNode() {}

  /** Everything the HTTP verticles of an API node need. */
  /** @param metrics the node's metrics, served at /metrics to admins (null: not on this port) */
  static Future<ApiRouter.Features> start(Vertx vertx, JsonObject conf, Pool pool, Path dataDir, String role,
                                          BooleanSupplier localModelReady, Metrics metrics) {
    JsonObject auth = conf.getJsonObject("auth");
    JsonObject http = conf.getJsonObject("http");
    JsonObject cluster = conf.getJsonObject("cluster", new JsonObject());
    JsonObject chatConf = conf.getJsonObject("chats", new JsonObject());
    int maxContent = chatConf.getInteger("maxContentChars", 200_000);

    TokenService tokens = new TokenService(vertx, SecretStore.jwtSecret(auth.getString("jwtSecret"), dataDir),
        auth.getInteger("accessTokenTtlSeconds", 900));
    SessionStore sessions = new SessionStore(pool, auth.getInteger("refreshTokenTtlDays", 30));
    PasswordHasher hasher = new PasswordHasher(vertx, auth.getInteger("bcryptCost", 10));
    UserStore users = new UserStore(pool);
    PersonaStore personas = new PersonaStore(pool);
    ChatStore chats = new ChatStore(pool);
    BotStore bots = new BotStore(pool);
    ApiKeyStore apiKeys = new ApiKeyStore(pool);
    AuthHandler authHandler = new AuthHandler(tokens, sessions, apiKeys);
    WorkerRegistry registry = new WorkerRegistry(vertx, cluster.getLong("workerDeadAfterMs", 3000L));
    registry.start();
    GenerationStore genStore = new GenerationStore(pool);
    SystemStatus system = new SystemStatus(vertx, pool);
    JsonObject filesConf = conf.getJsonObject("files", new JsonObject());
    FileStore files = new FileStore(pool);
    PersonalityCatalog personalities = PersonalityCatalog.load(conf.getJsonObject("personalities", new JsonObject()).getString("dir"));
    Quotas quotas = new Quotas(pool, conf.getJsonObject("quotas", new JsonObject()));
    GenerationService generation = new GenerationService(genStore,
        GenerationService.Settings.fromJson(conf.getJsonObject("generation", new JsonObject())), registry, system, quotas);
    WebSearch webSearch = WebSearch.create(vertx, conf.getJsonObject("search", new JsonObject()));
    ChatAnswers answers = new ChatAnswers(vertx, generation, chats, users, bots, files, filesConf.getInteger("contextChars", 16_000),
        webSearch, maxContent);
    JsonObject servicesConf = conf.getJsonObject("services", new JsonObject());
    ServiceStore services = ServiceStore.open(pool, conf, dataDir);
    Cors cors = new Cors(http.getString("corsOrigins", ""));
    EventBusBridge bridge = new EventBusBridge(vertx, authHandler, generation, answers, cors);
    String defaultModel = generation.settings().defaultModel();
    BooleanSupplier defaultModelReady = () -> registry.models().getJsonArray("models").stream()
        .anyMatch(m -> ModelStatus.isReady(m) && (defaultModel == null || defaultModel.equals(((JsonObject) m).getString("name"))));
    OpenApiRoutes docs = new OpenApiRoutes();
    ContractValidation contract = new ContractValidation(docs.document());
    WebUi ui = new WebUi();
    ChatTransfer transfer = new ChatTransfer(chats, users, maxContent);
    ShareRoutes share = new ShareRoutes(new ShareStore(pool), chats, ui::page);
    boolean passwordLogin = auth.getBoolean("passwordLogin", true);
    AuthRoutes authRoutes = new AuthRoutes(users, sessions, tokens, hasher, authHandler, new io.chatserver.auth.LoginThrottle(pool),
        passwordLogin, auth.getString("registration", "open"));
    io.chatserver.oidc.OidcRoutes oidc = new io.chatserver.oidc.OidcRoutes(vertx, io.chatserver.oidc.OidcProvider.fromConfig(auth),
        pool, users, hasher, authRoutes::startSession, http.getString("publicUrl"),
        auth.getJsonObject("oidc", new JsonObject()).getBoolean("newAccounts", true), passwordLogin);
    ApiRouter.Features features = new ApiRouter.Features(
        authHandler,
        authRoutes,
        oidc,
        docs,
        new HealthRoutes(role, pool, defaultModelReady, localModelReady),
        new SystemRoutes(system, () -> new JsonObject().put("webSearch", webSearch.configured())),
        bridge,
        ui,
        cors,
        contract,
        http.getLong("bodyLimitBytes", 1_048_576L),
        http.getLong("importLimitBytes", 64L * 1_048_576L),
        filesConf.getLong("maxBytes", 10L * 1_048_576L),
        metrics == null ? List.of(share::mountPublic) : List.of(share::mountPublic,
            // the node's metrics, for admins (an admin's API key works for a Prometheus scrape job)
            router -> router.get("/metrics").handler(authHandler).handler(Caller.requireAdmin()).handler(metrics::scrape)),
        List.of(
            new UserRoutes(users, name -> generation.models().map(list -> !list.getBoolean("reachable", true)
                || list.getJsonArray("models").stream().anyMatch(m -> name.equals(((JsonObject) m).getString("name")))),
                id -> personalities.get(id) != null),
            new PersonaRoutes(personas),
            new GenerationRoutes(generation, answers, maxContent),
            new UsageRoutes(genStore),
            new ModelAdminRoutes(vertx, generation::models),
            new ServiceRoutes(vertx, services),
            new BotRoutes(bots),
            new ChatRoutes(chats, personas, bots, personalities,
                user -> users.profile(user).map(p -> p == null ? null : p.getString("defaultPersonality")), webSearch::configured,
                answers, maxContent),
            new PersonalityRoutes(personalities),
            new TransferRoutes(transfer),
            new FileRoutes(files, transfer, filesConf.getLong("maxBytes", 10L * 1_048_576L)),
            new ModelRoutes(generation::models),
            new KeyRoutes(apiKeys),
            share,
            new QuotaRoutes(quotas),
            new SupportRoutes(new FeedbackStore(pool), new TicketStore(pool), chats),
            new OpenAiRoutes(generation, answers, maxContent, services.instanceId())));
    Future<String> remote = servicesConf.getBoolean("enabled", true)
        ? vertx.deployVerticle(RemoteWorkers.forNode(services, conf))
        : Future.succeededFuture();
    return system.start()
        .compose(v -> vertx.deployVerticle(generation)) // owns every job of this node on its own context
        .compose(id -> remote)
        .compose(id -> {
          bridge.start();
          return bootstrapAdmin(users, hasher, auth);
        })
        .map(v -> {
          sweepAbandoned(vertx, genStore);
          return features;
        });
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
}
