package io.chatserver.config;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The server's configuration: {@code conf/config.json} (from the working directory, else the copy
 * inside the jar, else the file named by {@code CONFIG_FILE}), then environment variables on top.
 * Every environment variable the server reads is listed in {@link #ENV}; the README's table is
 * generated from the same list by hand and kept in step by {@code ConfigTest}.
 */
public final class AppConfig {

  /** One environment variable and the dotted config path it overrides. */
  public record EnvVar(String name, String path, Class<?> type, String help) {}

  public static final List<EnvVar> ENV = List.of(
      new EnvVar("CONFIG_FILE", null, String.class, "JSON config file read instead of conf/config.json"),
      new EnvVar("HOST", "http.host", String.class, "interface the HTTP server binds to"),
      new EnvVar("PORT", "http.port", Integer.class, "HTTP port"),
      new EnvVar("BODY_LIMIT_BYTES", "http.bodyLimitBytes", Long.class, "largest request body accepted (413 above)"),
      new EnvVar("CORS_ORIGINS", "http.corsOrigins", String.class, "comma-separated origins allowed to call the API and the bridge from another site (empty = same origin only)"),
      new EnvVar("DATA_DIR", "dataDir", String.class, "embedded database files and generated secrets"),
      new EnvVar("DB_URL", "db.url", String.class, "external PostgreSQL, postgresql://user:pass@host:port/db; unset = embedded"),
      new EnvVar("DB_USER", "db.user", String.class, "database user (overrides the URL's)"),
      new EnvVar("DB_PASSWORD", "db.password", String.class, "database password (overrides the URL's)"),
      new EnvVar("DB_POOL_SIZE", "db.poolSize", Integer.class, "connections in the pool"),
      new EnvVar("EMBEDDED_DB_PORT", "db.embeddedPort", Integer.class, "port of the embedded PostgreSQL (0 = any free port)"),
      new EnvVar("JWT_SECRET", "auth.jwtSecret", String.class, "HS256 signing secret; unset = generated once into DATA_DIR/jwt-secret"),
      new EnvVar("ACCESS_TOKEN_TTL_SECONDS", "auth.accessTokenTtlSeconds", Integer.class, "lifetime of access tokens"),
      new EnvVar("REFRESH_TOKEN_TTL_DAYS", "auth.refreshTokenTtlDays", Integer.class, "lifetime of refresh tokens"),
      new EnvVar("BCRYPT_COST", "auth.bcryptCost", Integer.class, "bcrypt work factor for passwords"),
      new EnvVar("ADMIN_USERNAME", "auth.adminUsername", String.class, "admin account created (or promoted) at start-up"),
      new EnvVar("REGISTRATION", "auth.registration", String.class, "who may register: open, approval (new accounts wait for an admin to enable them) or closed (the first account always may)"),
      new EnvVar("PASSWORD_LOGIN", "auth.passwordLogin", Boolean.class, "false: no registration or login with a password (sign-in providers only)"),
      new EnvVar("PUBLIC_URL", "http.publicUrl", String.class, "where people reach this server (e.g. https://chat.example.org): the base of the OIDC redirect URL; unset = each request's host"),
      new EnvVar("OIDC_ID", "auth.oidc.id", String.class, "id of the sign-in provider set by the OIDC_* variables (in its URLs; default oidc)"),
      new EnvVar("OIDC_NAME", "auth.oidc.name", String.class, "its name on the login page (\"Sign in with <name>\")"),
      new EnvVar("OIDC_ISSUER", "auth.oidc.issuer", String.class, "its issuer URL (discovery at <issuer>/.well-known/openid-configuration); set = the provider is on"),
      new EnvVar("OIDC_CLIENT_ID", "auth.oidc.clientId", String.class, "this server's client id there"),
      new EnvVar("OIDC_CLIENT_SECRET", "auth.oidc.clientSecret", String.class, "this server's client secret there"),
      new EnvVar("OIDC_SCOPES", "auth.oidc.scopes", String.class, "scopes asked for (default openid profile email)"),
      new EnvVar("OIDC_ROLE_CLAIM", "auth.oidc.roleClaim", String.class, "ID token claim with the groups or roles (dotted path; default groups)"),
      new EnvVar("OIDC_ADMIN_GROUPS", "auth.oidc.adminGroups", String.class, "comma-separated groups whose members are admins (checked at every sign-in)"),
      new EnvVar("OIDC_ALLOWED_GROUPS", "auth.oidc.allowedGroups", String.class, "comma-separated groups that may sign in (empty = everyone the provider lets through)"),
      new EnvVar("OIDC_NEW_ACCOUNTS", "auth.oidc.newAccounts", Boolean.class, "false: a first sign-in does not create an account"),
      new EnvVar("ADMIN_PASSWORD", "auth.adminPassword", String.class, "password of that account when it is created"),
      new EnvVar("SERVICES_KEY", "services.key", String.class, "encrypts upstream services' API keys at rest; unset = generated once into DATA_DIR/services-key"),
      new EnvVar("SERVICES_ENABLED", "services.enabled", Boolean.class, "serve the upstream services' models from this API node"),
      new EnvVar("METRICS_PORT", "metrics.port", Integer.class, "serve /metrics on this port of its own, without a token (unset: on the main port, for admins)"),
      new EnvVar("WEB_SEARCH_URL", "search.url", String.class, "SearxNG instance for web search answers (its JSON API); unset = web search off"),
      new EnvVar("WEB_FETCH_ALLOWED_HOSTS", "search.fetchAllowedHosts", String.class, "comma-separated host[:port] web search may read although private"),
      new EnvVar("FILES_MAX_BYTES", "files.maxBytes", Long.class, "largest file a user can attach to a chat"),
      new EnvVar("PERSONALITIES_DIR", "personalities.dir", String.class, "a folder of your own personality files added to the built-in catalog"),
      new EnvVar("QUOTA_TOKENS_PER_DAY", "quotas.user.tokensPerDay", Integer.class, "default daily token limit of users (unset = none; admins can set each user's)"),
      new EnvVar("QUOTA_REQUESTS_PER_MINUTE", "quotas.user.requestsPerMinute", Integer.class, "default answers per minute of users (unset = none)"),
      new EnvVar("NODE_ROLE", "node.role", String.class, "all (one process), api (HTTP + database) or worker (models)"),
      new EnvVar("CLUSTER_ENABLED", "cluster.enabled", Boolean.class, "join a Hazelcast cluster (needed for separate api/worker nodes)"),
      new EnvVar("CLUSTER_NAME", "cluster.name", String.class, "nodes only join a cluster of the same name"),
      new EnvVar("CLUSTER_HOST", "cluster.host", String.class, "interface this node binds and advertises to the others"),
      new EnvVar("CLUSTER_PORT", "cluster.port", Integer.class, "Hazelcast port of this node (the next free one is tried)"),
      new EnvVar("CLUSTER_MEMBERS", "cluster.members", String.class, "comma-separated host[:port] of members to join"),
      new EnvVar("CLUSTER_EVENTBUS_PORT", "cluster.eventBusPort", Integer.class, "event bus port between nodes (0 = any)"),
      new EnvVar("MODELS_ENABLED", "models.enabled", Boolean.class, "load and serve models in this process"),
      new EnvVar("MODEL_DIR", "models.dir", String.class, "folder of Hugging Face model folders (default DATA_DIR/models)"),
      new EnvVar("SHARED_MODELS_DIR", "models.shared", String.class, "where llama2.c stories260K is imported from on first start"),
      new EnvVar("HF_ENDPOINT", "models.hubEndpoint", String.class, "the Hugging Face hub that model pulls download from"),
      new EnvVar("MODEL_DEVICE", "models.defaults.device", String.class, "auto, cpu, cuda or cuda:N"),
      new EnvVar("MODEL_ALLOW_NATIVE_DOWNLOAD", null, Boolean.class, "true: DJL may download its CUDA native library once (read at start, before the engine)"),
      new EnvVar("MODEL_DTYPE", "models.defaults.dtype", String.class, "auto, float32, float16 or bfloat16 (GPU only)"),
      new EnvVar("MODEL_MAX_BATCH", "models.defaults.maxBatch", Integer.class, "sequences decoded together per model"),
      new EnvVar("MODEL_CONTEXT", "models.defaults.contextLength", Integer.class, "context length (capped by the model's own)"),
      new EnvVar("MODEL_LANES", "models.defaults.lanes", String.class, "auto, or the threads a model is split over"));

  private AppConfig() {}

  /** Reads the default file and applies the process environment. */
  public static JsonObject load() {
    return load(System.getenv());
  }

  public static JsonObject load(Map<String, String> env) {
    JsonObject conf = readBase(env.get("CONFIG_FILE"));
    applyEnv(conf, env);
    return conf;
  }

  /** The defaults shipped in the jar, with no environment applied (tests start from this). */
  public static JsonObject defaults() {
    try (InputStream in = AppConfig.class.getResourceAsStream("/conf/config.json")) {
      if (in == null) {
        throw new IllegalStateException("conf/config.json is missing from the classpath");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonObject readBase(String explicitFile) {
    Path file = explicitFile != null ? Path.of(explicitFile) : Path.of("conf", "config.json");
    if (Files.isRegularFile(file)) {
      try {
        return defaults().mergeIn(new JsonObject(Files.readString(file)), true);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read config file " + file, e);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("config file " + file + " is not valid JSON: " + e.getMessage(), e);
      }
    }
    if (explicitFile != null) {
      throw new IllegalArgumentException("CONFIG_FILE " + explicitFile + " does not exist");
    }
    return defaults();
  }

  static void applyEnv(JsonObject conf, Map<String, String> env) {
    for (EnvVar v : ENV) {
      String raw = env.get(v.name());
      if (v.path() == null || raw == null || raw.isBlank()) {
        continue;
      }
      Object value;
      try {
        value = v.type() == Integer.class ? Integer.valueOf(raw.trim())
            : v.type() == Long.class ? Long.valueOf(raw.trim())
            : v.type() == Boolean.class ? parseBoolean(v.name(), raw.trim())
            : raw;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("environment variable " + v.name() + " must be a number (or true/false), got '" + raw + "'");
      }
      set(conf, v.path(), value);
    }
  }

  private static Boolean parseBoolean(String name, String raw) {
    return switch (raw.toLowerCase()) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new NumberFormatException(name);
    };
  }

  /** Sets a dotted path, creating the objects on the way. */
  public static void set(JsonObject conf, String path, Object value) {
    String[] parts = path.split("\\.");
    JsonObject node = conf;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject next = node.getJsonObject(parts[i]);
      if (next == null) {
        next = new JsonObject();
        node.put(parts[i], next);
      }
      node = next;
    }
    node.put(parts[parts.length - 1], value);
  }

  /** Reads a dotted path; null when any part is missing. */
  public static Object get(JsonObject conf, String path) {
    JsonObject parent = parent(conf, path);
    return parent == null ? null : parent.getValue(last(path));
  }

  /** Whether the dotted key exists (its value may be null). */
  public static boolean has(JsonObject conf, String path) {
    JsonObject parent = parent(conf, path);
    return parent != null && parent.containsKey(last(path));
  }

  private static JsonObject parent(JsonObject conf, String path) {
    String[] parts = path.split("\\.");
    JsonObject node = conf;
    for (int i = 0; i < parts.length - 1 && node != null; i++) {
      node = node.getJsonObject(parts[i]);
    }
    return node;
  }

  private static String last(String path) {
    return path.substring(path.lastIndexOf('.') + 1);
  }
}
