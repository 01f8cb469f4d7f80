package io.chatserver.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The browser UI, served from the jar: the page at {@code /} and at every client-side route
 * ({@code /c/<chatId>}, {@code /settings}, {@code /admin}), its own scripts and styles under
 * {@code /assets/}, and the third-party libraries from their webjars under {@code /webjars/}.
 * Nothing is fetched from elsewhere. Every UI response carries a Content-Security-Policy that
 * allows only this origin (no inline script, no framing).
 */
public final class WebUi {

  /** Same origin only: scripts, styles, images (data:, and blob: for images fetched with the session), fetch/XHR, the WebSocket. */
  public static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
      + "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  /** Client-side routes that load the app (deep links). */
  private static final String PAGES = "^/(c/[A-Za-z0-9-]+|settings(/[a-z-]*)?|admin(/[a-z-]*)?|login)?$";

  private final Buffer page;

  public WebUi() {
    this.page = load("/webroot/index.html");
  }

  private static Buffer load(String resource) {
    try (InputStream in = WebUi.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the classpath");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void mount(Router router) {
    router.routeWithRegex("^/(assets/.*|webjars/.*)$").handler(WebUi::securityHeaders);
    router.getWithRegex(PAGES).handler(this::page);
    router.get("/assets/*").handler(StaticHandler.create("webroot/assets").setCachingEnabled(true).setMaxAgeSeconds(60)
        .setDirectoryListing(false));
    // webjar paths carry their version, so they can be cached for long
    router.get("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars").setCachingEnabled(true)
        .setMaxAgeSeconds(365L * 24 * 3600).setDirectoryListing(false));
  }

  /** Serves the UI's page (for routes of other features that a browser may open, like a share link). */
  public void page(RoutingContext ctx) {
    securityHeaders(ctx.response());
    ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").putHeader("Cache-Control", "no-cache").end(page);
  }

  private static void securityHeaders(RoutingContext ctx) {
    securityHeaders(ctx.response());
    ctx.next();
  }

  private static void securityHeaders(io.vertx.core.http.HttpServerResponse r) {
    r.putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer");
  }
}
