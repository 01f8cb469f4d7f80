package io.chatserver.bus;

import java.util.Locale;

/** A model on a worker, as its heartbeat reports it: still loading, serving, or failed to load. */
public enum ModelStatus {
  LOADING, READY, ERROR;

  /** What /api/models and the worker's log say when no model is configured at all. */
  public static final String HOW_TO_ADD = "No model is configured. Put a Hugging Face Llama-family folder (config.json, "
      + "*.safetensors, tokenizer.json) under the models directory, or run `java -jar target/chat-server.jar pull <org/repo>`, "
      + "or `java -jar target/chat-server.jar import-llama2c <model.bin> <tokenizer.bin> <out-dir>`, then restart.";

  /** As sent in heartbeats and by /api/models: lower case. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a heartbeat's model entry (a JSON object with "status") is ready to serve. */
  public static boolean isReady(Object modelEntry) {
    return modelEntry instanceof io.vertx.core.json.JsonObject m && READY.wire().equals(m.getString("status"));
  }
}
