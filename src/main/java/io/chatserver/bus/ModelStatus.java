package io.chatserver.bus;

import java.util.Locale;

/** A model on a worker, as its heartbeat reports it: still loading, serving, or failed to load. */
public enum ModelStatus {
  LOADING, READY, ERROR;

  /** As sent in heartbeats and by /api/models: lower case. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a heartbeat's model entry (a JSON object with "status") is ready to serve. */
  public static boolean isReady(Object modelEntry) {
    return modelEntry instanceof io.vertx.core.json.JsonObject m && READY.wire().equals(m.getString("status"));
  }
}
