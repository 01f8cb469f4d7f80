package io.chatserver.inference.tools;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Downloads a Hugging Face model repository's safetensors weights and tokenizer files into a model
 * folder, with a progress bar. For users with internet; never used by the tests against the real
 * hub (they point {@code endpoint} at a local server). {@code HF_TOKEN} is sent for gated models.
 */
public final class ModelPull {

  static final List<String> WANTED = List.of("config.json", "generation_config.json", "tokenizer.json",
      "tokenizer_config.json", "special_tokens_map.json", "model.safetensors.index.json");

  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
      .connectTimeout(Duration.ofSeconds(20)).build();
  private final String endpoint;
  private final String token;
  private final PrintStream progress;
  private Listener listener = (file, index, count, done, total) -> { };

  /** Hears the download's progress: file {@code index} of {@code count}, {@code done} of {@code total} bytes (-1: unknown). */
  public interface Listener {
    void progress(String file, int index, int count, long done, long total);
  }

  public ModelPull(String endpoint, String token, PrintStream progress) {
    this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    this.token = token;
    this.progress = progress;
  }

  public ModelPull listener(Listener l) {
    this.listener = l;
    return this;
  }

  /**
   * Downloads one GGUF file of {@code repo} to {@code target} (kept when already there with the
   * right size), then checks it (magic, version, tensor table inside the file, known types) and
   * deletes it if it is not a usable GGUF file.
   */
  public void pullFile(String repo, String revision, String file, Path target) throws IOException, InterruptedException {
    if (!repo.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("repository must look like org/name, got '" + repo + "'");
    }
    if (!io.chatserver.bus.HubFiles.isGgufPath(file)) {
      throw new IllegalArgumentException("file must be the path of a .gguf file in the repository, got '" + file + "'");
    }
    Files.createDirectories(target.getParent());
    download(repo, revision, file, target, 1, 1);
    try (io.chatserver.inference.model.gguf.GgufFile g = io.chatserver.inference.model.gguf.GgufFile.open(target)) {
      progress.println("checked " + target.getFileName() + ": GGUF v" + g.version() + ", " + g.tensors().size() + " tensors");
    } catch (IOException e) {
      Files.deleteIfExists(target);
      throw e;
    }
  }

  /** Downloads {@code repo} at {@code revision} into {@code out}; files already there with the right size are kept. */
  public void pull(String repo, String revision, Path out) throws IOException, InterruptedException {
    if (!repo.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("repository must look like org/name, got '" + repo + "'");
    }
    JsonObject info = new JsonObject(getString(endpoint + "/api/models/" + repo + "/revision/" + enc(revision)));
    List<String> files = new ArrayList<>();
    JsonArray siblings = info.getJsonArray("siblings", new JsonArray());
    for (Object o : siblings) {
      String f = ((JsonObject) o).getString("rfilename");
      if (WANTED.contains(f) || (f.endsWith(".safetensors") && !f.contains("/"))) {
        files.add(f);
      }
    }
    if (files.stream().noneMatch(f -> f.endsWith(".safetensors"))) {
      throw new IOException(repo + " has no *.safetensors weights at its top level; only safetensors checkpoints are supported");
    }
    if (!files.contains("config.json") || !files.contains("tokenizer.json")) {
      throw new IOException(repo + " lacks config.json or tokenizer.json");
    }
    Files.createDirectories(out);
    for (int i = 0; i < files.size(); i++) {
      download(repo, revision, files.get(i), out.resolve(files.get(i)), i + 1, files.size());
    }
    progress.println("pulled " + repo + " into " + out);
  }

  private void download(String repo, String revision, String file, Path target, int index, int count)
      throws IOException, InterruptedException {
    String url = endpoint + "/" + repo + "/resolve/" + enc(revision) + "/" + file;
    HttpResponse<InputStream> resp = http.send(request(url), HttpResponse.BodyHandlers.ofInputStream());
    if (resp.statusCode() != 200) {
      resp.body().close();
      throw new IOException("GET " + url + " answered " + resp.statusCode()
          + (resp.statusCode() == 401 || resp.statusCode() == 403 ? " (gated model? set HF_TOKEN)" : ""));
    }
    long total = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (total > 0 && Files.exists(target) && Files.size(target) == total) {
      resp.body().close();
      progress.println(file + ": already here");
      listener.progress(file, index, count, total, total);
      return;
    }
    Path part = target.resolveSibling(target.getFileName() + ".part");
    long t0 = System.nanoTime();
    long done = 0;
    long lastPrint = 0;
    try (InputStream in = resp.body(); OutputStream os = Files.newOutputStream(part)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        os.write(buf, 0, n);
        done += n;
        long now = System.nanoTime();
        if (now - lastPrint > 200_000_000L) {
          lastPrint = now;
          progress.print("\r" + bar(file, done, total, now - t0));
          listener.progress(file, index, count, done, total);
        }
      }
    }
    progress.println("\r" + bar(file, done, total, System.nanoTime() - t0));
    listener.progress(file, index, count, done, total);
    Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
  }

  static String bar(String file, long done, long total, long nanos) {
    double mbps = nanos > 0 ? done / 1e6 / (nanos / 1e9) : 0;
    if (total <= 0) {
      return String.format("%-32s %8.1f MB  %6.1f MB/s", file, done / 1e6, mbps);
    }
    int width = 30;
    int filled = (int) (width * done / total);
    return String.format("%-32s [%s%s] %3d%% %8.1f/%.1f MB  %6.1f MB/s", file, "=".repeat(filled), " ".repeat(width - filled),
        done * 100 / total, done / 1e6, total / 1e6, mbps);
  }

  private String getString(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request(url), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + url + " answered " + r.statusCode());
    }
    return r.body();
  }

  private HttpRequest request(String url) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(30));
    if (token != null && !token.isBlank()) {
      b.header("Authorization", "Bearer " + token);
    }
    return b.build();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
