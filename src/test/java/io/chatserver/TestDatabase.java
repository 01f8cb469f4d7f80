package io.chatserver;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for the tests: the one named by {@code DB_URL} when set, else one embedded
 * server started once per test JVM. Each test class gets a database of its own.
 */
public final class TestDatabase {

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static EmbeddedPostgres embedded;
  private static String adminJdbc;
  private static String user;
  private static String password;
  private static String hostPort;

  private TestDatabase() {}

  /** A new, empty database; returns its URL in the server's {@code DB_URL} form. */
  public static synchronized String freshUrl() {
    init();
    String name = "test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
    try (Connection c = DriverManager.getConnection(adminJdbc, user, password); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + name + ": " + e.getMessage(), e);
    }
    return "postgresql://" + user + ":" + password + "@" + hostPort + "/" + name;
  }

  private static void init() {
    if (adminJdbc != null) {
      return;
    }
    String url = System.getenv("DB_URL");
    if (url != null && !url.isBlank()) {
      var opts = io.chatserver.storage.Database.parseUrl(url);
      user = opts.getUser();
      password = opts.getPassword();
      hostPort = opts.getHost() + ":" + opts.getPort();
      adminJdbc = "jdbc:postgresql://" + hostPort + "/" + opts.getDatabase();
      return;
    }
    try {
      embedded = EmbeddedPostgres.builder()
          .setDataDirectory(Files.createTempDirectory("chat-test-pg"))
          .setCleanDataDirectory(true)
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("unix_socket_directories", "")
          .setServerConfig("fsync", "off")
          .setServerConfig("synchronous_commit", "off")
          .setServerConfig("full_page_writes", "off")
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    user = "postgres";
    password = "postgres";
    hostPort = "127.0.0.1:" + embedded.getPort();
    adminJdbc = "jdbc:postgresql://" + hostPort + "/postgres";
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        embedded.close();
      } catch (IOException ignored) {
        // the JVM is going away
      }
    }));
  }
}
