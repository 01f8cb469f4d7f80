package io.chatserver;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A real Keycloak for the tests: its server distribution (a Maven Central artifact, resolved by
 * the build; see {@code keycloak.dist}), unpacked under {@code target/keycloak} once, started in
 * dev mode on 127.0.0.1 with the realm {@code keycloak/chat-realm.json} imported, and stopped with
 * the test. Its log goes to {@code target/keycloak.log}.
 */
public final class Keycloak implements AutoCloseable {

  private final Process process;
  private final int port;

  private Keycloak(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** The realm's issuer URL. */
  public String issuer() {
    return "http://127.0.0.1:" + port + "/realms/chat";
  }

  public static Keycloak start() throws Exception {
    String dist = System.getProperty("keycloak.dist");
    if (dist == null || !Files.isRegularFile(Path.of(dist))) {
      throw new IllegalStateException("Keycloak's distribution is not at keycloak.dist (" + dist + "): run the tests through Maven");
    }
    Path root = Path.of("target", "keycloak").toAbsolutePath();
    Path home = unpack(Path.of(dist), root);
    Path imports = home.resolve("data").resolve("import");
    Files.createDirectories(imports);
    try (InputStream realm = Keycloak.class.getResourceAsStream("/keycloak/chat-realm.json")) {
      Files.copy(realm, imports.resolve("chat-realm.json"), StandardCopyOption.REPLACE_EXISTING);
    }
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Path log = Path.of("target", "keycloak.log").toAbsolutePath();
    ProcessBuilder pb = new ProcessBuilder(List.of(home.resolve("bin").resolve("kc.sh").toString(), "start-dev",
        "--http-port=" + port, "--http-host=127.0.0.1", "--import-realm"))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx512m");
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Keycloak kc = new Keycloak(pb.start(), port);
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.currentTimeMillis() + 240_000;
    while (true) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(kc.issuer() + "/.well-known/openid-configuration"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return kc;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (!kc.process.isAlive() || System.currentTimeMillis() > deadline) {
        kc.close();
        throw new IllegalStateException("Keycloak did not start; see " + log);
      }
      Thread.sleep(1000);
    }
  }

  /** Unpacks the distribution once (its folder is reused by later runs). */
  private static Path unpack(Path zip, Path root) throws IOException {
    String name = zip.getFileName().toString().replace("keycloak-quarkus-dist-", "keycloak-").replace(".zip", "");
    Path home = root.resolve(name);
    if (Files.isExecutable(home.resolve("bin").resolve("kc.sh"))) {
      return home;
    }
    Files.createDirectories(root);
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        Path out = root.resolve(e.getName()).normalize();
        if (!out.startsWith(root)) {
          throw new IOException("bad entry in " + zip + ": " + e.getName());
        }
        if (e.isDirectory()) {
          Files.createDirectories(out);
        } else {
          Files.createDirectories(out.getParent());
          Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
          if (out.toString().endsWith(".sh")) {
            out.toFile().setExecutable(true);
          }
        }
      }
    }
    return home;
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
