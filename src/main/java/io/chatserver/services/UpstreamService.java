package io.chatserver.services;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** An upstream OpenAI-compatible service as stored; {@code apiKey} is the decrypted key (never sent to clients). */
public record UpstreamService(UUID id, String name, String baseUrl, String apiKey, boolean enabled, List<String> models,
                              int timeoutMs, int maxConcurrent, Map<String, String> headers, String createdAt,
                              String updatedAt) {

  /** What admins see: everything but the key (only whether there is one). */
  public JsonObject toJson() {
    JsonObject h = new JsonObject();
    headers.forEach(h::put);
    return new JsonObject().put("id", id.toString()).put("name", name).put("baseUrl", baseUrl)
        .put("hasApiKey", apiKey != null).put("enabled", enabled)
        .put("models", models == null ? null : new JsonArray(List.copyOf(models)))
        .put("timeoutMs", timeoutMs).put("maxConcurrent", maxConcurrent).put("headers", h)
        .put("createdAt", createdAt).put("updatedAt", updatedAt);
  }

  @Override
  public String toString() {
    return "UpstreamService[" + name + " at " + baseUrl + "]"; // never the key
  }
}
