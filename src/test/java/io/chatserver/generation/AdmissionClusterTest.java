package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.cluster.ClusterSupport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.ServerSocket;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The per-user limit of running answers holds across API nodes: two Vert.x nodes joined by a real
 * Hazelcast cluster (two members on loopback) share one count; a node that leaves without
 * releasing its jobs frees their slots once their lease runs out.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdmissionClusterTest {

  private Vertx a;
  private Vertx b;

  @BeforeAll
  void cluster() throws Exception {
    int pa = freePort();
    int pb = freePort();
    String members = "127.0.0.1:" + pa + ",127.0.0.1:" + pb;
    String name = "admission-" + UUID.randomUUID().toString().substring(0, 8);
    a = ClusterSupport.start(conf(name, pa, members));
    b = ClusterSupport.start(conf(name, pb, members));
  }

  @AfterAll
  void close() throws Exception {
    for (Vertx v : new Vertx[] {a, b}) {
      if (v != null) {
        v.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static JsonObject conf(String name, int port, String members) {
    return new JsonObject().put("cluster", new JsonObject().put("enabled", true).put("name", name).put("host", "127.0.0.1")
        .put("port", port).put("members", members));
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The admission's own work runs on a context of its node, as the generation service's does. */
  private static <T> Future<T> on(Vertx v, java.util.function.Supplier<Future<T>> work) {
    io.vertx.core.Promise<T> p = io.vertx.core.Promise.promise();
    v.getOrCreateContext().runOnContext(x -> work.get().onComplete(p));
    return p.future();
  }

  @Test
  void aSecondAnswerOnAnotherNodeIsRefusedUntilTheFirstEnds() throws Exception {
    Admission onA = new Admission(a, 1, 60_000);
    Admission onB = new Admission(b, 1, 60_000);
    UUID user = UUID.randomUUID();
    await(on(a, () -> onA.admit(user, "job-1")));
    Exception refused = assertThrows(Exception.class, () -> await(on(b, () -> onB.admit(user, "job-2"))));
    ApiError e = assertInstanceOf(ApiError.class, refused.getCause());
    assertEquals(429, e.status());
    assertEquals(2, e.retryAfter());
    assertEquals("too_many_generations", e.code());
    await(on(b, () -> onB.admit(UUID.randomUUID(), "job-3"))); // another user is not affected
    await(on(a, () -> onA.release(user, "job-1")));
    await(on(b, () -> onB.admit(user, "job-2")));
    await(on(b, () -> onB.release(user, "job-2")));
    assertNull(await(Admission.runningOf(a, user)), "nothing is left behind");
  }

  @Test
  void aJobWhoseNodeStopsRenewingStopsCountingAfterItsLease() throws Exception {
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000);
    Admission forgetful = new Admission(a, 1, 10_000, now::get); // a node that will stop renewing and never release
    Admission onB = new Admission(b, 1, 10_000, now::get);
    UUID user = UUID.randomUUID();
    await(on(a, () -> forgetful.admit(user, "lost-job")));
    assertThrows(Exception.class, () -> await(on(b, () -> onB.admit(user, "next"))));
    now.addAndGet(8_000);
    await(on(a, forgetful::renew));
    now.addAndGet(8_000); // past the first lease, within the renewed one
    assertThrows(Exception.class, () -> await(on(b, () -> onB.admit(user, "next"))), "a renewed lease still counts");
    now.addAndGet(3_000); // past the renewed lease too
    await(on(b, () -> onB.admit(user, "next")));
    assertEquals(new JsonObject().put("next", now.get() + 10_000), await(Admission.runningOf(b, user)));
  }

  @Test
  void answersPerMinuteAreCountedAcrossNodesInTheClockMinute() throws Exception {
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(60_000L * 1_000_000 + 50_000);
    Admission onA = new Admission(a, 4, 60_000, now::get);
    Admission onB = new Admission(b, 4, 60_000, now::get);
    UUID user = UUID.randomUUID();
    await(on(a, () -> onA.admit(user, "one", 2)));
    await(on(a, () -> onA.release(user, "one")));
    await(on(b, () -> onB.admit(user, "two", 2)));
    Exception refused = assertThrows(Exception.class, () -> await(on(a, () -> onA.admit(user, "three", 2))));
    ApiError e = assertInstanceOf(ApiError.class, refused.getCause());
    assertEquals(429, e.status());
    assertEquals("rate_limited", e.code());
    assertEquals(10, e.retryAfter(), "until the next minute");
    await(on(a, () -> onA.admit(UUID.randomUUID(), "elsewhere", 2))); // per user
    now.addAndGet(10_000); // the next minute
    await(on(a, () -> onA.admit(user, "three", 2)));
    await(on(a, () -> onA.admit(user, "four", null))); // no limit given: not counted against
  }
}
