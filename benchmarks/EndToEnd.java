// Run by benchmarks/run-e2e.sh: java -cp target/chat-server.jar benchmarks/EndToEnd.java --model name=path ...
import io.chatserver.ChatServer;
import io.chatserver.config.AppConfig;
import io.chatserver.inference.engine.BatchScheduler;
import io.chatserver.inference.engine.GenerationListener;
import io.chatserver.inference.engine.SamplingParams;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The whole path, measured: a server on its embedded defaults serving one model, N concurrent
 * clients streaming {@code /v1/chat/completions} over the Vert.x HTTP client (after a warm-up),
 * and, in the same run on the same loaded model, the engine alone (the same number of greedy
 * jobs straight into its scheduler). Prints aggregate tokens/s of both and their ratio, time to
 * first token and inter-token latency p50/p99.
 */
@Command(name = "bench-e2e", description = "Tokens/s through the server (HTTP, event bus, SSE) against the engine alone, in one run.")
public final class EndToEnd implements Callable<Integer> {

  public static void main(String[] args) {
    io.chatserver.Offline.enforce();
    System.exit(new CommandLine(new EndToEnd()).execute(args));
  }

  @Option(names = "--model", required = true, description = "name=path of a Hugging Face model folder") String model;
  @Option(names = "--streams", defaultValue = "16") int streams;
  @Option(names = "--tokens", defaultValue = "128") int tokens;
  @Option(names = "--context", defaultValue = "512") int context;

  private final PrintStream out = System.out;
  private static final String PROMPT = "Once upon a time, in a small town by the sea,";

  /** Client i's prompt: different from its first words, so that no client reuses another's cached prefix. */
  private static String prompt(int i) {
    return "Story number " + i + ". " + PROMPT;
  }

  @Override
  public Integer call() throws Exception {
    String[] kv = model.split("=", 2);
    String name = kv[0];
    JsonObject conf = AppConfig.load();
    Path data = Files.createTempDirectory("bench-e2e");
    conf.put("dataDir", data.toString());
    AppConfig.set(conf, "http.host", "127.0.0.1");
    AppConfig.set(conf, "http.port", 0);
    AppConfig.set(conf, "db.url", null);
    AppConfig.set(conf, "auth.bcryptCost", 4);
    AppConfig.set(conf, "models.autoImport", false);
    AppConfig.set(conf, "models.dir", data.resolve("models").toString());
    AppConfig.set(conf, "models.list", new JsonArray().add(new JsonObject().put("name", name)
        .put("path", Path.of(kv[1]).toAbsolutePath().toString())
        .put("maxBatch", Math.max(streams, 1)).put("contextLength", context)));
    AppConfig.set(conf, "generation.maxConcurrentPerUser", streams + 2);
    out.printf("starting the server with %s (embedded PostgreSQL, %d streams x %d tokens) ...%n", name, streams, tokens);
    ChatServer server = ChatServer.start(conf);
    Vertx vertx = Vertx.vertx();
    try {
      server.inference().loaded().toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
      if (server.inference().runtime(name) == null) {
        throw new IllegalStateException("the model did not load; see the log above");
      }
      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port()),
          new PoolOptions().setHttp1MaxSize(streams + 4));
      String token = call(http, HttpMethod.POST, "/api/auth/register", null,
          new JsonObject().put("username", "bench").put("password", "benchmark password")).getString("token");
      String key = call(http, HttpMethod.POST, "/api/users/me/keys", token, new JsonObject().put("name", "bench")).getString("key");
      out.println("warming up ...");
      runClients(http, key, name, Math.min(streams, 4), 16);
      BatchScheduler scheduler = server.inference().scheduler(name);
      out.println("engine alone ...");
      double engine = engineOnly(scheduler, server, name);
      out.println("through the server ...");
      Result e2e = runClients(http, key, name, streams, tokens);
      out.println();
      out.printf("%s, %d streams x %d tokens (greedy):%n", name, streams, tokens);
      out.printf("  engine alone:        %8.1f tokens/s%n", engine);
      out.printf("  through the server:  %8.1f tokens/s (%.0f %% of the engine alone; target >= 90 %%)%n", e2e.tps(),
          100 * e2e.tps() / engine);
      out.printf("  time to first token: p50 %d ms, p99 %d ms%n", pct(e2e.ttft(), 50), pct(e2e.ttft(), 99));
      out.printf("  inter-token latency: p50 %d ms, p99 %d ms%n", pct(e2e.itl(), 50), pct(e2e.itl(), 99));
      return 0;
    } finally {
      vertx.close();
      server.close();
    }
  }

  private double engineOnly(BatchScheduler scheduler, ChatServer server, String name) throws Exception {
    List<CompletableFuture<Integer>> done = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < streams; i++) {
      // the very prompt the server builds for client i's request (its chat template applied)
      long[] prompt = server.inference().runtime(name).chatPrompt(new JsonArray().add(new JsonObject().put("role", "user")
          .put("content", prompt(i))), tokens);
      CompletableFuture<Integer> f = new CompletableFuture<>();
      done.add(f);
      scheduler.submit("bench-engine-" + i, prompt, SamplingParams.greedy(tokens), new GenerationListener() {
        @Override
        public void onDelta(String text) {
        }

        @Override
        public void onFinish(Finish finish) {
          f.complete(finish.completionTokens());
        }
      });
    }
    long generated = 0;
    for (CompletableFuture<Integer> f : done) {
      generated += f.get(30, TimeUnit.MINUTES);
    }
    return generated / ((System.nanoTime() - t0) / 1e9);
  }

  private record Result(double tps, List<Long> ttft, List<Long> itl) {}

  private Result runClients(HttpClient http, String key, String name, int n, int maxTokens) throws Exception {
    List<Long> ttft = Collections.synchronizedList(new ArrayList<>());
    List<Long> itl = Collections.synchronizedList(new ArrayList<>());
    List<Future<Integer>> all = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      all.add(stream(http, key, name, prompt(i), maxTokens, ttft, itl));
    }
    int generated = 0;
    for (Future<Integer> f : all) {
      generated += f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.MINUTES);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Collections.sort(ttft);
    Collections.sort(itl);
    return new Result(generated / seconds, ttft, itl);
  }

  /** One streaming /v1 request; answers its completion tokens (from the usage chunk). */
  private Future<Integer> stream(HttpClient http, String key, String name, String prompt, int maxTokens, List<Long> ttft,
                                 List<Long> itl) {
    JsonObject body = new JsonObject().put("model", name).put("stream", true).put("temperature", 0).put("max_tokens", maxTokens)
        .put("stream_options", new JsonObject().put("include_usage", true))
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", prompt)));
    long start = System.nanoTime();
    long[] last = {0};
    int[] usage = {0};
    StringBuilder pending = new StringBuilder();
    Promise<Integer> done = Promise.promise();
    http.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/chat/completions")
            .putHeader("Authorization", "Bearer " + key).putHeader("Content-Type", "application/json"))
        .compose(req -> req.send(Buffer.buffer(body.encode())))
        .onFailure(done::tryFail)
        .onSuccess(resp -> {
          if (resp.statusCode() != 200) {
            resp.body().onComplete(b -> done.tryFail(new IllegalStateException("/v1/chat/completions answered " + resp.statusCode()
                + ": " + (b.succeeded() ? b.result() : ""))));
            return;
          }
          resp.handler(buf -> {
            long now = System.nanoTime();
            pending.append(buf.toString());
            int nl;
            while ((nl = pending.indexOf("\n\n")) >= 0) {
              String event = pending.substring(0, nl).strip();
              pending.delete(0, nl + 2);
              if (!event.startsWith("data: ") || event.equals("data: [DONE]")) {
                continue;
              }
              JsonObject chunk = new JsonObject(event.substring(6));
              if (chunk.getJsonObject("usage") != null) {
                usage[0] = chunk.getJsonObject("usage").getInteger("completion_tokens", 0);
              }
              JsonArray choices = chunk.getJsonArray("choices", new JsonArray());
              if (!choices.isEmpty() && choices.getJsonObject(0).getJsonObject("delta", new JsonObject()).getString("content", "").length() > 0) {
                if (last[0] == 0) {
                  ttft.add((now - start) / 1_000_000);
                } else {
                  itl.add((now - last[0]) / 1_000_000);
                }
                last[0] = now;
              }
            }
          });
          resp.endHandler(v -> done.tryComplete(usage[0]));
          resp.exceptionHandler(done::tryFail);
        });
    return done.future();
  }

  private static JsonObject call(HttpClient http, HttpMethod method, String path, String token, JsonObject body) throws Exception {
    RequestOptions o = new RequestOptions().setMethod(method).setURI(path).putHeader("Content-Type", "application/json");
    if (token != null) {
      o.putHeader("Authorization", "Bearer " + token);
    }
    return http.request(o).compose(req -> req.send(Buffer.buffer(body.encode()))).compose(r -> r.body())
        .map(b -> new JsonObject(b)).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static long pct(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return -1;
    }
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
  }
}
