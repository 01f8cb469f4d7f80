import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mixed load against a running chat-server for N minutes: each of C clients (one user each, so the
 * per-user limit is not what is measured) loops over new chat, a streamed answer in it
 * (POST .../messages generate + SSE to done), the chat list, the branch, and a streamed
 * /v1/chat/completions. Every minute it prints requests, errors, latency percentiles per kind and
 * the server's RSS; at the end it idles and prints the RSS again. Needs only the JDK:
 *
 *   java benchmarks/Soak.java http://127.0.0.1:8080 <minutes> <clients> <server pid> [idle seconds]
 */
public class Soak {

  static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  static final Map<String, List<Long>> latencies = new ConcurrentHashMap<>();
  static final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
  static final AtomicLong requests = new AtomicLong();
  static String base;

  public static void main(String[] args) throws Exception {
    base = args[0];
    int minutes = Integer.parseInt(args[1]);
    int clients = Integer.parseInt(args[2]);
    long pid = Long.parseLong(args[3]);
    int idle = args.length > 4 ? Integer.parseInt(args[4]) : 60;
    System.out.printf("soak: %d clients for %d min against %s (server pid %d); RSS at start %d MB%n", clients, minutes, base,
        pid, rssMb(pid));
    long end = System.currentTimeMillis() + minutes * 60_000L;
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      Thread t = new Thread(() -> client(end));
      t.start();
      threads.add(t);
    }
    for (int m = 1; m <= minutes; m++) {
      Thread.sleep(Math.max(0, Math.min(60_000, end - System.currentTimeMillis())));
      report("minute " + m, pid);
    }
    for (Thread t : threads) {
      t.join(120_000);
    }
    System.out.printf("idle %d s ...%n", idle);
    Thread.sleep(idle * 1000L);
    System.out.printf("after %d s idle: RSS %d MB%n", idle, rssMb(pid));
  }

  static synchronized void report(String when, long pid) {
    StringBuilder sb = new StringBuilder(String.format("%-9s requests %6d  errors %s  RSS %5d MB%n", when, requests.get(),
        errors.isEmpty() ? "0" : errors.toString(), rssMb(pid)));
    for (var e : new java.util.TreeMap<>(latencies).entrySet()) {
      List<Long> l;
      synchronized (e.getValue()) {
        l = new ArrayList<>(e.getValue());
        e.getValue().clear();
      }
      if (l.isEmpty()) {
        continue;
      }
      Collections.sort(l);
      sb.append(String.format("    %-12s n %5d  p50 %6d ms  p95 %6d ms  p99 %6d ms%n", e.getKey(), l.size(), pct(l, 50), pct(l, 95),
          pct(l, 99)));
    }
    System.out.print(sb);
  }

  static long pct(List<Long> sorted, int p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  static long rssMb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
      }
    } catch (Exception e) {
      // the process is gone
    }
    return -1;
  }

  record Resp(int status, String body) {}

  static Resp call(String kind, String method, String path, String token, String json) {
    long t0 = System.nanoTime();
    requests.incrementAndGet();
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
          .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
      if (json != null) {
        b.header("Content-Type", "application/json");
      }
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() >= 400) {
        errors.computeIfAbsent(kind + " " + r.statusCode(), k -> new AtomicLong()).incrementAndGet();
      }
      return new Resp(r.statusCode(), r.body());
    } catch (Exception e) {
      errors.computeIfAbsent(kind + " " + e.getClass().getSimpleName(), k -> new AtomicLong()).incrementAndGet();
      return new Resp(0, "");
    } finally {
      latencies.computeIfAbsent(kind, k -> Collections.synchronizedList(new ArrayList<>()))
          .add((System.nanoTime() - t0) / 1_000_000);
    }
  }

  static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
    return m.find() ? m.group(1) : null;
  }

  static void client(long end) {
    String user = "soak-" + UUID.randomUUID().toString().substring(0, 8);
    Resp reg = call("register", "POST", "/api/auth/register", null,
        "{\"username\":\"" + user + "\",\"password\":\"soak-password-1\"}");
    String token = field(reg.body(), "token");
    if (token == null) {
      return;
    }
    int round = 0;
    while (System.currentTimeMillis() < end) {
      round++;
      Resp chat = call("new chat", "POST", "/api/chats", token, "{\"title\":\"soak " + round + "\"}");
      String chatId = field(chat.body(), "id");
      if (chatId != null) {
        Resp started = call("answer start", "POST", "/api/chats/" + chatId + "/messages", token,
            "{\"content\":\"Once upon a time\",\"generate\":true,\"options\":{\"max_tokens\":64}}");
        String jobId = field(started.body(), "jobId");
        if (jobId != null) {
          call("answer sse", "GET", "/api/jobs/" + jobId + "/stream", token, null);
        }
        call("branch", "GET", "/api/chats/" + chatId + "/branch", token, null);
      }
      call("chat list", "GET", "/api/chats?limit=20", token, null);
      call("v1 stream", "POST", "/v1/chat/completions", token,
          "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}],\"max_tokens\":32,\"stream\":true}");
    }
  }
}
