package io.chatserver.search;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Fetches the pages a web search found, and nothing it should not: only http and https, no
 * credentials (no user info in the URL, no cookies, no Authorization), a host whose every address
 * is public (no loopback, private, link-local, metadata, carrier-grade NAT, multicast or reserved
 * addresses; checked after DNS resolution and again on every redirect) unless its {@code host[:port]}
 * is in the allow-list, the connection made to the very address that was checked (no second
 * lookup to rebind), at most {@code maxRedirects} redirects, {@code maxBytes} of body (the rest
 * is not read) and {@code timeoutMs} per page. Only HTML and plain text are read.
 */
final class PageFetcher {

  /** A fetched page: where it ended up, its type, and its body as text. */
  record Page(String url, String contentType, String body) {}

  /** A URL refused before any connection was made. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private final Vertx vertx;
  private final HttpClient http;
  private final long timeoutMs;
  private final int maxBytes;
  private final int maxRedirects;
  private final Set<String> allowed;
  /** Every URL a request was actually sent to (tests check that refused ones are not among them). */
  private final List<String> requested = Collections.synchronizedList(new ArrayList<>());

  PageFetcher(Vertx vertx, HttpClient http, long timeoutMs, int maxBytes, int maxRedirects, Set<String> allowed) {
    this.vertx = vertx;
    this.http = http;
    this.timeoutMs = timeoutMs;
    this.maxBytes = maxBytes;
    this.maxRedirects = maxRedirects;
    this.allowed = allowed;
  }

  List<String> requested() {
    return List.copyOf(requested);
  }

  Future<Page> fetch(String url) {
    Promise<Page> result = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, t -> result.tryFail(new IllegalStateException("no answer within " + timeoutMs + " ms")));
    fetch(url, 0, result).onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        result.tryComplete(ar.result());
      } else {
        result.tryFail(ar.cause());
      }
    });
    return result.future();
  }

  private Future<Page> fetch(String url, int hops, Promise<Page> overall) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new Refused("not a URL: " + url));
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return Future.failedFuture(new Refused("only http and https pages are read, not " + url));
    }
    if (uri.getRawUserInfo() != null) {
      return Future.failedFuture(new Refused("URLs with credentials are not read"));
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      return Future.failedFuture(new Refused("no host in " + url));
    }
    int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    return vertx.executeBlocking(() -> InetAddress.getAllByName(host), false).compose(addresses -> {
      String refusal = refusal(host, port, addresses, allowed);
      if (refusal != null) {
        return Future.failedFuture(new Refused(refusal));
      }
      if (overall.future().isComplete()) {
        return Future.failedFuture(new IllegalStateException("timed out"));
      }
      requested.add(url);
      RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
          .setServer(SocketAddress.inetSocketAddress(port, addresses[0].getHostAddress()))
          .setFollowRedirects(false).setConnectTimeout(timeoutMs).setIdleTimeout(timeoutMs)
          .putHeader("User-Agent", "chat-server web search (+https://github.com)")
          .putHeader("Accept", "text/html, text/plain;q=0.9");
      return http.request(o).compose(req -> req.send().compose(resp -> {
        int status = resp.statusCode();
        String location = resp.getHeader("Location");
        if (status >= 300 && status < 400 && location != null) {
          req.connection().close();
          if (hops >= maxRedirects) {
            return Future.failedFuture(new Refused("more than " + maxRedirects + " redirects"));
          }
          return fetch(uri.resolve(location).toString(), hops + 1, overall);
        }
        if (status != 200) {
          req.connection().close();
          return Future.failedFuture(new IllegalStateException("the page answered " + status));
        }
        String type = resp.getHeader("Content-Type") == null ? "" : resp.getHeader("Content-Type").toLowerCase(Locale.ROOT);
        if (!type.startsWith("text/html") && !type.startsWith("text/plain") && !type.startsWith("application/xhtml")) {
          req.connection().close();
          return Future.failedFuture(new IllegalStateException("not a page of text (" + type + ")"));
        }
        Promise<Page> body = Promise.promise();
        Buffer acc = Buffer.buffer();
        resp.handler(buf -> {
          if (body.future().isComplete()) {
            return;
          }
          int room = maxBytes - acc.length();
          acc.appendBuffer(buf.length() <= room ? buf : buf.slice(0, Math.max(0, room)));
          if (acc.length() >= maxBytes) {
            body.tryComplete(new Page(url, type, acc.toString()));
            req.connection().close(); // the rest is not read
          }
        });
        resp.exceptionHandler(e -> body.tryComplete(new Page(url, type, acc.toString())));
        resp.endHandler(v -> body.tryComplete(new Page(url, type, acc.toString())));
        return body.future();
      }));
    });
  }

  /** Why a host may not be fetched (null: it may): an address of it is not public, and it is not allowed by name. */
  static String refusal(String host, int port, InetAddress[] addresses, Set<String> allowed) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (allowed.contains(h + ":" + port) || allowed.contains(h)) {
      return null;
    }
    for (InetAddress a : addresses) {
      if (!isPublic(a)) {
        return "refused: " + host + " is " + a.getHostAddress() + ", a private, loopback, link-local or reserved address";
      }
    }
    return null;
  }

  static boolean isPublic(InetAddress a) {
    if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
        || a.isMulticastAddress()) {
      return false;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return !(first == 0 || first >= 240 // this network; reserved and broadcast
          || (first == 100 && second >= 64 && second < 128) // carrier-grade NAT
          || (first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
          || (first == 198 && (second == 18 || second == 19))); // benchmarking
    }
    if (a instanceof Inet6Address) {
      if ((b[0] & 0xfe) == 0xfc) {
        return false; // unique local fc00::/7 (AWS's metadata fd00:ec2::254 among them)
      }
      boolean mapped = true; // ::ffff:a.b.c.d: judge the IPv4 address inside
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
        try {
          return isPublic(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        } catch (java.net.UnknownHostException e) {
          return false;
        }
      }
    }
    return true;
  }
}
