package io.chatserver.services;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** Calls to an OpenAI-compatible service: its request options (key, extra headers, timeout) and what its errors mean. */
final class Upstream {

  private Upstream() {}

  static RequestOptions request(UpstreamService s, HttpMethod method, String path) {
    RequestOptions o = new RequestOptions().setMethod(method).setAbsoluteURI(s.baseUrl() + path)
        .setIdleTimeout(s.timeoutMs()).setConnectTimeout(Math.min(s.timeoutMs(), 10_000))
        .putHeader("Accept", "application/json, text/event-stream");
    s.headers().forEach(o::putHeader);
    if (s.apiKey() != null) {
      o.putHeader("Authorization", "Bearer " + s.apiKey());
    }
    return o;
  }

  /** The header this server's /v1 answers carry: its deployment's public id. */
  public static final String INSTANCE_HEADER = "X-Chat-Server-Instance";

  /** What a service's {@code GET /models} lists, and whether the service is this same deployment. */
  record Listing(List<String> ids, boolean self) {}

  /**
   * The model ids the service lists at {@code GET /models}, and whether it answered with this
   * deployment's own id ({@code self}): then it is this same server, which works with another
   * user's key but waits on itself with the key of the user asking (one running answer each).
   */
  static Future<Listing> models(HttpClient http, UpstreamService s, String self) {
    return http.request(request(s, HttpMethod.GET, "/models"))
        .compose(req -> req.send().compose(resp -> resp.body().map(body -> {
          if (resp.statusCode() != 200) {
            throw new IllegalStateException(explain(resp, body.toString()));
          }
          JsonArray data = new JsonObject(body).getJsonArray("data", new JsonArray());
          List<String> ids = new ArrayList<>();
          for (Object o : data) {
            if (o instanceof JsonObject m && m.getString("id") != null) {
              ids.add(m.getString("id"));
            }
          }
          return new Listing(ids, self != null && self.equals(resp.getHeader(INSTANCE_HEADER)));
        })))
        .recover(e -> Future.failedFuture(e instanceof IllegalStateException ? e
            : new IllegalStateException("cannot reach " + s.baseUrl() + ": " + reason(e), e)));
  }

  /** Why a connection failed, in words a person reads (no exception class names). */
  static String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException) {
        return "the connection was refused (is the service running, and is the address right?)";
      }
      if (t instanceof java.net.UnknownHostException) {
        return "the host name is not known";
      }
      if (t instanceof java.util.concurrent.TimeoutException || t instanceof io.netty.channel.ConnectTimeoutException) {
        return "it did not answer in time";
      }
      if (t instanceof javax.net.ssl.SSLException) {
        return "the TLS connection failed (" + clean(t.getMessage()) + ")";
      }
    }
    return clean(e.getMessage());
  }

  private static String clean(String message) {
    if (message == null || message.isBlank()) {
      return "the connection failed";
    }
    return message.replaceAll("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_]*(?:Exception|Error):\\s*", "");
  }

  /** The upstream's Retry-After in seconds (a number; an HTTP date counts as 60 s), or null. */
  static Long retryAfter(HttpClientResponse resp) {
    String h = resp.getHeader("Retry-After");
    if (h == null || h.isBlank()) {
      return null;
    }
    try {
      return Math.max(1, (long) Math.ceil(Double.parseDouble(h.trim())));
    } catch (NumberFormatException e) {
      return 60L;
    }
  }

  /** Whether a failed call ran out of time (connect or idle timeout) rather than being refused. */
  static boolean isTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException || t instanceof io.netty.handler.timeout.TimeoutException
          || t instanceof io.netty.channel.ConnectTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** An upstream error as a person should read it (never with the key). */
  static String explain(HttpClientResponse resp, String body) {
    String detail = "";
    try {
      JsonObject err = new JsonObject(body).getJsonObject("error");
      detail = err == null ? "" : ": " + err.getString("message", "");
    } catch (RuntimeException ignored) {
      // not JSON
    }
    return switch (resp.statusCode()) {
      case 401, 403 -> "the upstream refused the API key (" + resp.statusCode() + ")" + detail;
      case 404 -> "the upstream does not know that model or path (404)" + detail;
      case 429 -> "the upstream is rate limiting (429" + (resp.getHeader("Retry-After") == null ? ""
          : ", retry after " + resp.getHeader("Retry-After") + " s") + ")" + detail;
      default -> "the upstream answered " + resp.statusCode() + detail;
    };
  }
}
