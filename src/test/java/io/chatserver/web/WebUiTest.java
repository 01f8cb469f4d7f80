package io.chatserver.web;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The UI as HTTP: the page and its deep links, every asset it names, security headers, gzip, CORS and the bridge's origin rule. */
class WebUiTest extends ServerTestBase {

  private static final String ALLOWED = "http://app.example.test";
  private WebClient http;

  @Override
  protected JsonObject configure(JsonObject conf) {
    AppConfig.set(conf, "http.corsOrigins", ALLOWED + ", http://other.example.test");
    return conf;
  }

  @BeforeAll
  void client(Vertx vertx) {
    http = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port()));
  }

  private HttpResponse<Buffer> request(HttpMethod method, String path, String... headers) {
    var req = http.request(method, path);
    for (int i = 0; i < headers.length; i += 2) {
      req.putHeader(headers[i], headers[i + 1]);
    }
    return req.send().await();
  }

  @Test
  void pageAndDeepLinksCarryTheSecurityHeaders() {
    for (String path : List.of("/", "/c/0b9f6e2a-8c39-4d0e-b7a5-0d5c1b1f6f10", "/settings", "/admin")) {
      HttpResponse<Buffer> r = request(HttpMethod.GET, path);
      assertEquals(200, r.statusCode(), path);
      assertTrue(r.getHeader("Content-Type").startsWith("text/html"), path);
      String csp = r.getHeader("Content-Security-Policy");
      assertTrue(csp.contains("default-src 'self'") && csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"), csp);
      assertFalse(csp.contains("unsafe-inline"), csp);
      assertEquals("nosniff", r.getHeader("X-Content-Type-Options"));
      assertEquals("no-referrer", r.getHeader("Referrer-Policy"));
      assertTrue(r.bodyAsString().contains("/assets/js/main.js"));
    }
    // unknown API paths stay JSON errors, unknown page paths are not the app
    Api.Resp unknownApi = api.get("/api/nothing-here");
    assertEquals(401, unknownApi.status());
    assertEquals("unauthorized", unknownApi.errorCode());
    assertEquals("not_found", api.get("/nothing/here").errorCode());
  }

  @Test
  void everyAssetThePageNamesIsServedFromTheJarWithNoScriptInline() {
    String page = request(HttpMethod.GET, "/").bodyAsString();
    assertFalse(Pattern.compile("(src|href)=\"(https?:)?//").matcher(page).find(), "nothing from another site: " + page);
    assertFalse(Pattern.compile("<script>|<script [^>]*>[^<]+</script>").matcher(page).find(), "no inline script");
    Matcher m = Pattern.compile("(?:src|href)=\"(/[^\"]+)\"").matcher(page);
    List<String> assets = new ArrayList<>();
    while (m.find()) {
      assets.add(m.group(1));
    }
    assertTrue(assets.size() >= 10, assets.toString());
    for (String a : assets) {
      HttpResponse<Buffer> r = request(HttpMethod.GET, a);
      assertEquals(200, r.statusCode(), a);
      String type = r.getHeader("Content-Type");
      assertTrue(a.endsWith(".css") ? type.startsWith("text/css") : type.contains("javascript"), a + " is " + type);
      assertTrue(r.body().length() > 500, a);
    }
    HttpResponse<Buffer> js = request(HttpMethod.GET, "/assets/js/chat.js");
    assertEquals(200, js.statusCode());
    assertTrue(js.getHeader("Content-Security-Policy") != null);
  }

  @Test
  void assetsAreCompressed() {
    String page = request(HttpMethod.GET, "/").bodyAsString();
    Matcher m = Pattern.compile("src=\"(/webjars/preact/[^\"]+preact.umd.js)\"").matcher(page);
    assertTrue(m.find());
    HttpResponse<Buffer> r = request(HttpMethod.GET, m.group(1), "Accept-Encoding", "gzip");
    assertEquals("gzip", r.getHeader("Content-Encoding"));
  }

  @Test
  void corsAllowsOnlyTheConfiguredOrigins() {
    HttpResponse<Buffer> pre = request(HttpMethod.OPTIONS, "/api/chats", "Origin", ALLOWED,
        "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type");
    assertTrue(pre.statusCode() == 200 || pre.statusCode() == 204, "preflight " + pre.statusCode());
    assertEquals(ALLOWED, pre.getHeader("Access-Control-Allow-Origin"));
    assertTrue(pre.getHeader("Access-Control-Allow-Headers").toLowerCase().contains("authorization"));
    // answered before the auth wall: a 401 a browser can read
    HttpResponse<Buffer> unauth = request(HttpMethod.GET, "/api/users/me", "Origin", ALLOWED);
    assertEquals(401, unauth.statusCode());
    assertEquals(ALLOWED, unauth.getHeader("Access-Control-Allow-Origin"));
    HttpResponse<Buffer> evil = request(HttpMethod.OPTIONS, "/api/chats", "Origin", "http://evil.example.test",
        "Access-Control-Request-Method", "POST");
    assertNull(evil.getHeader("Access-Control-Allow-Origin"));
    assertTrue(evil.statusCode() >= 400, "a foreign preflight is refused: " + evil.statusCode());
  }

  @Test
  void theBridgeRefusesForeignOriginsAndUpgradesToWebSocket(Vertx vertx) {
    Api.User u = api.register("wsuser");
    String info = "/eventbus/info?token=" + u.token();
    assertEquals(200, request(HttpMethod.GET, info).statusCode());
    assertEquals(200, request(HttpMethod.GET, info, "Origin", ALLOWED).statusCode());
    assertEquals(200, request(HttpMethod.GET, info, "Origin", "http://127.0.0.1:" + server.port()).statusCode());
    HttpResponse<Buffer> foreign = request(HttpMethod.GET, info, "Origin", "http://evil.example.test");
    assertEquals(403, foreign.statusCode());
    assertEquals("forbidden", foreign.bodyAsJsonObject().getJsonObject("error").getString("code"));

    // the SockJS WebSocket transport really upgrades (it answered 500 when the body handler read the request)
    WebSocketClient ws = vertx.createWebSocketClient();
    var socket = ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port())
        .setURI("/eventbus/000/wstest01/websocket?token=" + u.token())).await();
    assertFalse(socket.isClosed());
    socket.close().await();
    // and without a token it is refused before the upgrade
    var refused = assertThrows(io.vertx.core.http.UpgradeRejectedException.class, () -> ws.connect(new WebSocketConnectOptions()
        .setHost("127.0.0.1").setPort(server.port()).setURI("/eventbus/000/wstest02/websocket")).await());
    assertEquals(401, refused.getStatus());
  }
}
