package io.chatserver.metrics;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.SseClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /metrics after a real answer: the inference counters moved by exactly what the answer did; Vert.x and JVM meters are there. */
class MetricsTest extends ServerTestBase {

  @Override
  protected boolean models() {
    return true;
  }

  /** The value of one sample line, e.g. {@code chat_generation_tokens_total{model="stories260k",...}}; 0 when absent. */
  static double sample(String scrape, String name, String labels) {
    double total = 0;
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + "{") && containsAll(line, labels)) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  private static boolean containsAll(String line, String labels) {
    for (String l : labels.split(",")) {
      if (!l.isEmpty() && !line.contains(l)) {
        return false;
      }
    }
    return true;
  }

  @Test
  void anAnswerMovesTheInferenceCountersByWhatItDid() throws Exception {
    Api.User admin = api.register("admin");
    Api.User user = api.register("user");
    assertEquals(401, api.get("/metrics").status());
    assertEquals(403, api.as(user).get("/metrics").status());
    String before = api.as(admin).get("/metrics").expect(200).body();
    String m = "model=\"stories260k\"";

    String chat = api.as(user).newChat("metrics");
    JsonObject started = api.as(user).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Once upon a time")
        .put("generate", true).put("options", new JsonObject().put("temperature", 0).put("max_tokens", 7))).expect(201).json();
    List<SseClient.Event> ev = SseClient.read(server.port(), "/api/jobs/" + started.getString("jobId") + "/stream", user.token(),
        null, e -> e.name().equals("done"));
    JsonObject usage = ev.get(ev.size() - 1).data().getJsonObject("usage");
    String reason = ev.get(ev.size() - 1).data().getString("finishReason");

    String after = api.as(admin).get("/metrics").expect(200).body();
    assertEquals(usage.getInteger("completionTokens"), (int) (sample(after, "chat_generation_tokens_total", m)
        - sample(before, "chat_generation_tokens_total", m)));
    assertEquals(usage.getInteger("promptTokens"), (int) (sample(after, "chat_prompt_tokens_total", m)
        - sample(before, "chat_prompt_tokens_total", m)));
    String r = "finish_reason=\"" + reason + "\"";
    assertEquals(1, (int) (sample(after, "chat_requests_finished_total", m + "," + r)
        - sample(before, "chat_requests_finished_total", m + "," + r)));
    assertEquals(1, (int) (sample(after, "chat_time_to_first_token_seconds_count", m)
        - sample(before, "chat_time_to_first_token_seconds_count", m)));
    assertEquals(usage.getInteger("completionTokens") - 1, (int) (sample(after, "chat_time_per_output_token_seconds_count", m)
        - sample(before, "chat_time_per_output_token_seconds_count", m)), "one per token after the first");
    assertEquals(0, (int) sample(after, "chat_requests_running", m));
    assertTrue(sample(after, "chat_kv_slots_capacity", m) >= 1);
    // the chat's next turn starts with the first turn's prompt and answer: their cache is reused
    String hits = "chat_prefix_cache_hits_total";
    String second = api.as(user).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "And then what happened?")
        .put("generate", true).put("options", new JsonObject().put("temperature", 0).put("max_tokens", 3))).expect(201).json()
        .getString("jobId");
    SseClient.read(server.port(), "/api/jobs/" + second + "/stream", user.token(), null, e -> e.name().equals("done"));
    String third = api.as(admin).get("/metrics").expect(200).body();
    assertEquals(1, (int) (sample(third, hits, m) - sample(after, hits, m)), "the second turn reused the first's cache");
    assertTrue(sample(third, "chat_prefix_cache_reused_tokens_total", m) - sample(after, "chat_prefix_cache_reused_tokens_total", m)
        >= usage.getInteger("promptTokens"), "at least the first turn's prompt");
    for (String name : List.of("vertx_http_server_requests_total", "vertx_eventbus_", "jvm_memory_used_bytes",
        "chat_e2e_request_latency_seconds_bucket", "chat_request_queue_time_seconds_count", "chat_batch_size_count")) {
      assertTrue(after.contains(name), name + " is scraped");
    }
    assertTrue(sample(after, "vertx_http_server_requests_total", "") > sample(before, "vertx_http_server_requests_total", ""),
        "HTTP server requests are counted");
  }
}
