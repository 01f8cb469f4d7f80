package io.chatserver.bus;

import java.util.Locale;

/** A model on a worker, as its heartbeat reports it: still loading, serving, or failed to load. */
public enum ModelStatus {
  LOADING, READY, ERROR;

  /** What /api/models and the worker's log say when no model is configured at all. */
  public static final String HOW_TO_ADD = "No model is configured. An admin can pull a small chat model without a restart: "
      + "POST /api/admin/models/pull {\"repo\": \"HuggingFaceTB/SmolLM2-135M-Instruct\"} (or Qwen/Qwen2.5-0.5B-Instruct); "
      + "or put a Hugging Face Llama-family folder (config.json, *.safetensors, tokenizer.json) under the models directory, "
      + "run `java -jar target/chat-server.jar pull <org/repo>` or `import-llama2c <model.bin> <tokenizer.bin> <out-dir>`, "
      + "and restart; or add an upstream service (POST /api/admin/services).";

  /** As sent in heartbeats and by /api/models: lower case. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a heartbeat's model entry (a JSON object with "status") is ready to serve. */
  public static boolean isReady(Object modelEntry) {
    return modelEntry instanceof io.vertx.core.json.JsonObject m && READY.wire().equals(m.getString("status"));
  }
}
