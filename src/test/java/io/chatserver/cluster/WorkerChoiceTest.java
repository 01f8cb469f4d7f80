package io.chatserver.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Which worker a job goes to, from the workers' heartbeats (no model, no cluster). */
class WorkerChoiceTest {

  private Vertx vertx;
  private WorkerRegistry registry;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    registry = new WorkerRegistry(vertx, 60_000);
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  /** A heartbeat, applied at once (the registry's own handler, without the bus in between). */
  private void beat(String node, boolean draining, String model, String status, int free) {
    registry.onBeat(new JsonObject().put("nodeId", node).put("draining", draining)
        .put("models", new JsonArray().add(new JsonObject().put("name", model).put("status", status)
            .put("info", new JsonObject().put("freeSlots", free)))));
  }

  @Test
  void theWorkerWithTheMostFreeSlotsThenTheLeastUsed() {
    beat("w1", false, "m", "ready", 2);
    beat("w2", false, "m", "ready", 4);
    assertEquals("w2", registry.pick("m", null));
    assertEquals("w2", registry.pick("m", null), "3 free left on w2, 2 on w1");
    String third = registry.pick("m", null);
    assertEquals("w1", third, "a tie (2 and 2) goes to the worker given fewer jobs");
    assertEquals("w1", registry.pick("m", "w2"), "a lost worker is avoided");
  }

  @Test
  void drainingLoadingAndOtherModelsAreNotChosen() {
    beat("w1", true, "m", "ready", 8);
    beat("w2", false, "m", "loading", 8);
    beat("w3", false, "other", "ready", 8);
    assertNull(registry.pick("m", null));
    beat("w2", false, "m", "ready", 1);
    assertEquals("w2", registry.pick("m", null));
  }

  @Test
  void aChatsNextTurnGoesToTheWorkerThatKeepsItsCacheWhileItHasRoom() {
    beat("w1", false, "m", "ready", 2);
    beat("w2", false, "m", "ready", 4);
    assertEquals("w2", registry.pick("m", null, "chat-1"));
    beat("w1", false, "m", "ready", 8); // w1 now has more room, but chat-1's cache is on w2
    assertEquals("w2", registry.pick("m", null, "chat-1"));
    assertEquals("w1", registry.pick("m", null, "chat-2"), "another chat goes where there is most room");
    beat("w2", false, "m", "ready", 0);
    assertEquals("w1", registry.pick("m", null, "chat-1"), "a full worker is not waited for");
    beat("w2", false, "m", "ready", 4);
    assertEquals("w1", registry.pick("m", null, "chat-1"), "and the chat stays with its new worker");
  }
}
