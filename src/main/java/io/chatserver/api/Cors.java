package io.chatserver.api;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Cross-origin access for a front-end hosted elsewhere: a configured list of allowed origins
 * ({@code http.corsOrigins}, comma-separated; empty = same origin only). Answered before the
 * authentication wall, so preflights work. The SockJS bridge gets the same rule: a WebSocket or
 * XHR from an origin that is neither this server nor in the list is refused with 403.
 */
public final class Cors {

  private final List<String> origins;

  public Cors(String configured) {
    this.origins = configured == null ? List.of()
        : Arrays.stream(configured.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  public List<String> origins() {
    return origins;
  }

  public void mount(Router router) {
    if (origins.isEmpty()) {
      return;
    }
    CorsHandler cors = CorsHandler.create().addOrigins(origins)
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE))
        .allowedHeaders(Set.of("Authorization", "Content-Type", "Last-Event-ID"))
        .exposedHeaders(Set.of("Retry-After"))
        .maxAgeSeconds(600);
    router.route("/api/*").handler(cors);
    router.route("/v1/*").handler(cors);
  }

  /** Whether a request may reach the bridge: no Origin (not a browser), the same origin, or an allowed one. */
  public boolean allows(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    if (origin == null || origins.contains(origin)) {
      return true;
    }
    String host = ctx.request().getHeader("Host");
    return host != null && (origin.equals("http://" + host) || origin.equals("https://" + host));
  }
}
