package io.chatserver;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the Node clients in src/test/node (real third-party client libraries) against a test server.
 * Their packages are installed from the npm registry with {@code npm ci} the first time.
 */
public final class NodeRunner {

  private static final Path DIR = Path.of("src", "test", "node").toAbsolutePath();
  private static boolean installed;

  private NodeRunner() {}

  private static synchronized void install() throws IOException, InterruptedException {
    if (installed || Files.isDirectory(DIR.resolve("node_modules/openai"))
        && Files.isDirectory(DIR.resolve("node_modules/@vertx/eventbus-bridge-client.js"))
        && Files.isDirectory(DIR.resolve("node_modules/playwright-core"))) {
      installed = true;
      return;
    }
    Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error").directory(DIR.toFile())
        .redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("npm ci failed in " + DIR + ":\n" + log);
    }
    installed = true;
  }

  /** Runs a script with the given environment and returns the JSON it printed last. */
  public static JsonObject run(String script, Map<String, String> env) throws IOException, InterruptedException {
    install();
    ProcessBuilder pb = new ProcessBuilder(List.of("node", script)).directory(DIR.toFile());
    pb.environment().putAll(env);
    Path err = Files.createTempFile("node-stderr", ".txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean exited = p.waitFor(3, TimeUnit.MINUTES);
    if (!exited) {
      p.destroyForcibly();
    }
    String lastLine = stdout.strip().isEmpty() ? "" : stdout.strip().substring(stdout.strip().lastIndexOf('\n') + 1);
    if (!exited || p.exitValue() != 0 || !lastLine.startsWith("{")) {
      throw new AssertionError("node " + script + " failed (exit " + (exited ? p.exitValue() : "timeout") + "):\n" + stdout
          + "\n" + Files.readString(err));
    }
    return new JsonObject(lastLine);
  }
}
