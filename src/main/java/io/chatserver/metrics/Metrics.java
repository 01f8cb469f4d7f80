package io.chatserver.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.util.UUID;

/**
 * The node's metrics: one Prometheus registry that Vert.x reports into (HTTP server, event bus,
 * SQL pool, JVM, through vertx-micrometer-metrics) and the inference workers add their meters to;
 * {@link #scrape} writes it in Prometheus' text format.
 */
public final class Metrics {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /** A Vert.x builder that reports into this registry (its own name: several servers may share a JVM, as in tests). */
  public VertxBuilder apply(VertxBuilder builder, VertxOptions options) {
    options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
        .setRegistryName("chat-server-" + UUID.randomUUID()).setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    return builder.with(options).withMetrics(new MicrometerMetricsFactory(registry));
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void scrape(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").putHeader("Cache-Control", "no-store")
        .end(registry.scrape());
  }
}
