package io.chatserver;

import io.chatserver.api.ApiError;
import io.chatserver.api.Caller;
import io.chatserver.api.ContractValidation;
import io.chatserver.api.Cors;
import io.chatserver.api.ErrorHandler;
import io.chatserver.api.HealthRoutes;
import io.chatserver.api.OpenApiRoutes;
import io.chatserver.api.Routes;
import io.chatserver.files.FileRoutes;
import io.chatserver.system.SystemRoutes;
import io.chatserver.auth.AuthHandler;
import io.chatserver.auth.AuthRoutes;
import io.chatserver.bridge.EventBusBridge;
import io.chatserver.web.WebUi;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.List;

/**
 * Builds the HTTP router: body limits and content-type checks, the public routes (health, docs,
 * auth), then the authentication wall, then every feature's routes, and the JSON error handler.
 */
public final class ApiRouter {

  /** The pieces the routes need; built once by the server and shared by every HTTP verticle. */
  public record Features(AuthHandler auth, AuthRoutes authRoutes, io.chatserver.oidc.OidcRoutes oidc, OpenApiRoutes docs, HealthRoutes health,
                         SystemRoutes system, EventBusBridge bridge, WebUi ui, Cors cors, ContractValidation contract,
                         long bodyLimitBytes, long importLimitBytes, long fileLimitBytes, List<Routes> publicRoutes,
                         List<Routes> features) {}

  private ApiRouter() {}

  public static Router create(Vertx vertx, Features f) {
    Router router = Router.router(vertx);
    router.route().handler(ApiRouter::limits);
    router.route().handler(ApiRouter::noCache);
    router.route("/api/import").handler(BodyHandler.create(false).setBodyLimit(f.importLimitBytes()));
    router.postWithRegex(FileRoutes.UPLOAD_PATH).handler(BodyHandler.create(false).setBodyLimit(f.fileLimitBytes()));
    // not on /eventbus: the bridge reads only its XHR posts (a body handler there breaks the WebSocket upgrade)
    router.routeWithRegex("^(?!/api/import$|/eventbus/|/api/chats/[^/]+/files$).*")
        .handler(BodyHandler.create(false).setBodyLimit(f.bodyLimitBytes()));
    f.cors().mount(router);
    router.route("/api/*").handler(ApiRouter::requireJsonBody);

    f.health().mount(router);
    f.docs().mount(router);
    f.system().mountPublic(router); // the status anyone may read, and no writes while read-only
    router.route("/api/auth/*").handler(f.contract());
    f.authRoutes().mount(router);
    f.oidc().mount(router);
    f.publicRoutes().forEach(r -> r.mount(router));
    f.bridge().mount(router, f.bodyLimitBytes());
    f.ui().mount(router);

    router.route("/api/*").handler(f.auth());
    router.route("/v1/*").handler(f.auth());
    router.route("/tokenize").handler(f.auth());
    router.route("/detokenize").handler(f.auth());
    // admin routes check the role before any validation: a user learns nothing there
    router.route("/api/admin/*").handler(Caller.requireAdmin());
    router.put("/api/system/status").handler(Caller.requireAdmin());
    router.route("/api/*").handler(f.contract());
    f.authRoutes().mountAuthenticated(router);
    f.oidc().mountAuthenticated(router);
    f.system().mount(router);
    f.features().forEach(r -> r.mount(router));

    return withErrors(router);
  }

  /** A worker node's router: health and readiness, and its metrics when they are not on a port of their own. */
  public static Router healthOnly(Vertx vertx, HealthRoutes health, io.chatserver.metrics.Metrics metrics) {
    Router router = Router.router(vertx);
    health.mount(router);
    if (metrics != null) {
      router.get("/metrics").handler(metrics::scrape);
    }
    return withErrors(router);
  }

  private static Router withErrors(Router router) {
    ErrorHandler errors = new ErrorHandler();
    router.route().failureHandler(errors);
    router.errorHandler(404, ctx -> ErrorHandler.send(ctx, ErrorHandler.forStatus(404)));
    router.errorHandler(405, ctx -> ErrorHandler.send(ctx, ErrorHandler.forStatus(405)));
    router.errorHandler(500, errors);
    return router;
  }

  /** Bodies of POST/PUT/PATCH under /api must be JSON (415 otherwise); empty bodies pass. */
  private static final java.util.regex.Pattern RAW_UPLOAD = java.util.regex.Pattern.compile(
      "^/api/admin/bots/[^/]+/image$|" + FileRoutes.UPLOAD_PATH);

  private static void requireJsonBody(RoutingContext ctx) {
    HttpMethod m = ctx.request().method();
    boolean hasBody = ctx.body() != null && ctx.body().length() > 0;
    if (RAW_UPLOAD.matcher(ctx.request().path()).matches()) {
      ctx.next(); // a bot image or a chat file is sent as its bytes; the route checks what they are
      return;
    }
    if (hasBody && (m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.PATCH)) {
      String type = ctx.request().getHeader("Content-Type");
      if (type == null || !type.toLowerCase().startsWith("application/json")) {
        ctx.fail(ErrorHandler.forStatus(415));
        return;
      }
    }
    ctx.next();
  }

  static final int MAX_URI = 8 * 1024;
  static final int MAX_HEADERS = 32 * 1024;

  /** Too long a URL (414) or too many header bytes (431) get a JSON error like everything else. */
  private static void limits(RoutingContext ctx) {
    if (ctx.request().uri().length() > MAX_URI) {
      ErrorHandler.send(ctx, new ApiError(414, "uri_too_long", "the URL is longer than " + MAX_URI + " characters"));
      return;
    }
    int bytes = 0;
    for (var h : ctx.request().headers()) {
      bytes += h.getKey().length() + h.getValue().length() + 4;
    }
    if (bytes > MAX_HEADERS) {
      ErrorHandler.send(ctx, new ApiError(431, "headers_too_large", "the request headers are larger than " + MAX_HEADERS + " bytes"));
      return;
    }
    ctx.next();
  }

  private static void noCache(RoutingContext ctx) {
    if (ctx.request().path().startsWith("/api/")) {
      ctx.response().putHeader("Cache-Control", "no-store");
    }
    ctx.next();
  }
}
