package io.chatserver.inference;

import io.chatserver.inference.engine.BatchScheduler;
import io.chatserver.inference.engine.SchedulerObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A model's inference metrics, named after vLLM's and TGI's so that their dashboards read them
 * (tags: model, node): time to first token, time per output token, end-to-end latency and queue
 * time (histograms), requests running and waiting, batch size, KV slots in use, prompt and
 * generated tokens, finished requests by reason.
 */
final class InferenceMetrics implements SchedulerObserver {

  private static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};

  private final MeterRegistry registry;
  private final Tags tags;
  private final Timer ttft;
  private final Timer perToken;
  private final Timer e2e;
  private final Timer queue;
  private final DistributionSummary batch;
  private final Counter promptTokens;
  private final Counter generationTokens;
  private final Map<String, Counter> finished = new ConcurrentHashMap<>();
  private final Counter prefixQueries;
  private final Counter prefixHits;
  private final Counter prefixReusedTokens;

  InferenceMetrics(MeterRegistry registry, String model, String node, BatchScheduler scheduler) {
    this.registry = registry;
    this.tags = Tags.of("model", model, "node", node);
    ttft = timer("chat_time_to_first_token", "time from a request's arrival at the worker to its first token");
    perToken = timer("chat_time_per_output_token", "time between two tokens of a request (one decode step)");
    e2e = timer("chat_e2e_request_latency", "time from a request's arrival at the worker to its end");
    queue = timer("chat_request_queue_time", "time a request waited before its prefill started");
    batch = DistributionSummary.builder("chat_batch_size").description("sequences decoded together in one step").tags(tags)
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64).register(registry);
    promptTokens = Counter.builder("chat_prompt_tokens").description("prompt tokens prefilled").tags(tags).register(registry);
    generationTokens = Counter.builder("chat_generation_tokens").description("tokens generated").tags(tags).register(registry);
    prefixQueries = Counter.builder("chat_prefix_cache_queries").description("prompts looked up among the kept prefixes")
        .tags(tags).register(registry);
    prefixHits = Counter.builder("chat_prefix_cache_hits").description("prompts that reused a kept prefix").tags(tags)
        .register(registry);
    prefixReusedTokens = Counter.builder("chat_prefix_cache_reused_tokens").description("prompt tokens not computed again")
        .tags(tags).register(registry);
    Gauge.builder("chat_requests_running", scheduler, BatchScheduler::running).description("sequences being decoded")
        .tags(tags).register(registry);
    Gauge.builder("chat_requests_waiting", scheduler, BatchScheduler::waiting).description("requests waiting for a slot")
        .tags(tags).register(registry);
    Gauge.builder("chat_kv_slots_used", scheduler, s -> s.maxBatch() - s.freeSlots())
        .description("KV cache slots in use (of chat_kv_slots_capacity)").tags(tags).register(registry);
    Gauge.builder("chat_kv_slots_capacity", scheduler, BatchScheduler::maxBatch).description("KV cache slots of the model")
        .tags(tags).register(registry);
  }

  private Timer timer(String name, String description) {
    return Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
  }

  @Override
  public void admitted(long queueNanos) {
    queue.record(queueNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void prefixQuery(boolean hit, int promptTokens, int reusedTokens) {
    prefixQueries.increment();
    if (hit) {
      prefixHits.increment();
      prefixReusedTokens.increment(reusedTokens);
    }
  }

  @Override
  public void firstToken(long ttftNanos, int prompt) {
    ttft.record(ttftNanos, TimeUnit.NANOSECONDS);
    promptTokens.increment(prompt);
  }

  @Override
  public void step(int b, long stepNanos) {
    batch.record(b);
    for (int i = 0; i < b; i++) {
      perToken.record(stepNanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void finished(io.chatserver.bus.FinishReason reason, int generated, long e2eNanos) {
    e2e.record(e2eNanos, TimeUnit.NANOSECONDS);
    generationTokens.increment(generated);
    finished.computeIfAbsent(reason.wire(), r -> Counter.builder("chat_requests_finished").description("requests ended, by finish reason")
        .tags(tags.and("finish_reason", r)).register(registry)).increment();
  }

  /** Removes the model's meters (it was unloaded). */
  void close() {
    registry.getMeters().stream().filter(m -> tags.stream().allMatch(t -> t.getValue().equals(m.getId().getTag(t.getKey()))))
        .filter(m -> m.getId().getName().startsWith("chat_")).toList().forEach(registry::remove);
  }
}
