package io.chatserver.search;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.SseClient;
import io.chatserver.config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Web search answers against a local stand-in for SearxNG (its JSON format) that also serves the
 * result pages (HTML with boilerplate around the content), a page that never answers, and result
 * URLs on private and metadata addresses, which must be refused before any connection.
 */
class WebSearchTest extends ServerTestBase {

  static final String PAGE = "<html><head><title>Sea otters</title><script>var tracking = 'ignore me';</script></head><body>"
      + "<header><nav><a href='/'>Home</a> <a href='/menu'>Menu of the site</a></nav></header>"
      + "<div class='cookie'>We use cookies for everything</div>"
      + "<main><h1>Sea otters</h1><p>Sea otters hold hands while they sleep so that they do not drift apart.</p>"
      + "<p>Their fur is the densest of any animal, about a million hairs per square inch.</p>"
      + "<ul><li>They use stones as tools to open shells.</li></ul></main>"
      + "<footer>Copyright the otter site, all rights reserved</footer></body></html>";

  /** Many paragraphs about otters: far more than a 512-token model can read. */
  static final String LONG = java.util.stream.IntStream.range(0, 60).mapToObj(i -> "<p>Observation " + i + ": sea otters hold hands"
      + " in raft number " + (i * 7 + 3) + ", why they do it differs by bay " + (i * 13 % 97) + " and by season " + (i % 4)
      + ", and otters in group " + (i * 31 % 1000) + " also wrap themselves in kelp.</p>").collect(java.util.stream.Collectors.joining());

  private final Vertx side = Vertx.vertx();
  private HttpServer web;
  private final AtomicReference<String> mode = new AtomicReference<>("ok");
  private final List<HttpServerRequest> hung = new ArrayList<>();

  @Override
  protected boolean models() {
    return true;
  }

  @Override
  protected JsonObject configure(JsonObject conf) {
    web = side.createHttpServer().requestHandler(this::serve).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().join();
    String base = "http://127.0.0.1:" + web.actualPort();
    AppConfig.set(conf, "search.url", base);
    AppConfig.set(conf, "search.fetchAllowedHosts", "127.0.0.1:" + web.actualPort());
    AppConfig.set(conf, "search.fetchTimeoutMs", 1500);
    AppConfig.set(conf, "search.maxResults", 5);
    return conf;
  }

  @AfterAll
  void stopWeb() throws Exception {
    side.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private String base() {
    return "http://127.0.0.1:" + web.actualPort();
  }

  private void serve(HttpServerRequest req) {
    switch (req.path()) {
      case "/search" -> {
        if (mode.get().equals("fail")) {
          req.response().setStatusCode(500).end("searx is down");
          return;
        }
        assertEquals("json", req.getParam("format"));
        JsonArray results = new JsonArray()
            .add(new JsonObject().put("title", "Sea otters").put("url", base() + "/otters").put("content", "Otters hold hands."))
            .add(new JsonObject().put("title", "Cloud metadata").put("url", "http://169.254.169.254/latest/meta-data/"))
            .add(new JsonObject().put("title", "Intranet").put("url", "http://10.0.0.1/secret"))
            .add(new JsonObject().put("title", "Slow page").put("url", base() + "/slow"))
            .add(new JsonObject().put("title", "Moved").put("url", base() + "/moved"));
        req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("query", req.getParam("q"))
            .put("results", results).encode());
      }
      case "/otters" -> req.response().putHeader("Content-Type", "text/html; charset=utf-8")
          .end(mode.get().equals("long") ? PAGE.replace("</main>", LONG + "</main>") : PAGE);
      case "/moved" -> req.response().setStatusCode(302).putHeader("Location", "http://10.0.0.1/elsewhere").end();
      case "/slow" -> hung.add(req); // never answers
      default -> req.response().setStatusCode(404).end();
    }
  }

  private List<SseClient.Event> answer(Api.User u, String chat, JsonObject extra) throws Exception {
    JsonObject body = new JsonObject().put("content", "Why do sea otters hold hands?").put("generate", true)
        .put("options", new JsonObject().put("max_tokens", 3)).mergeIn(extra);
    JsonObject started = api.as(u).post("/api/chats/" + chat + "/messages", body).expect(201).json();
    return SseClient.read(server.port(), "/api/jobs/" + started.getString("jobId") + "/stream", u.token(), null,
        e -> e.name().equals("done"));
  }

  @Test
  void anAnswerSearchesReadsCitesAndKeepsItsSources() throws Exception {
    mode.set("ok");
    Api.User u = api.register("searcher");
    Api me = api.as(u);
    String plainChat = me.newChat("plain");
    List<SseClient.Event> plain = answer(u, plainChat, new JsonObject());
    int plainPrompt = plain.get(plain.size() - 1).data().getJsonObject("usage").getInteger("promptTokens");

    String chat = me.newChat("otters");
    List<SseClient.Event> events = answer(u, chat, new JsonObject().put("webSearch", true));
    List<String> names = events.stream().map(SseClient.Event::name).toList();
    assertEquals(List.of("searching", "reading", "sources"), names.subList(0, 3), names.toString());
    assertEquals("done", names.get(names.size() - 1));
    assertTrue(names.subList(3, names.size() - 1).stream().allMatch("delta"::equals), names.toString());
    assertEquals("Why do sea otters hold hands?", events.get(0).data().getString("query"));
    assertEquals(5, events.get(1).data().getJsonArray("urls").size(), "reading names every result");
    JsonArray sources = events.get(2).data().getJsonArray("sources");
    assertEquals(1, sources.size(), "only the page that could be read: " + sources.encode());
    assertEquals(new JsonObject().put("index", 1).put("title", "Sea otters").put("url", base() + "/otters")
        .put("snippet", "Otters hold hands."), sources.getJsonObject(0));
    JsonObject done = events.get(events.size() - 1).data();
    assertEquals("done", done.getString("status"));
    int prompt = done.getJsonObject("usage").getInteger("promptTokens");
    assertTrue(prompt > plainPrompt + 30, "the passages are in the prompt: " + prompt + " vs " + plainPrompt);

    JsonObject saved = me.get("/api/chats/" + chat + "/messages/" + done.getString("messageId")).expect(200).json();
    assertEquals(sources, saved.getJsonArray("sources"));
    assertFalse(saved.containsKey("searchError"));
    assertTrue(me.get("/api/chats/" + chat + "/export").expect(200).body().contains(base() + "/otters"), "exports keep the sources");
    assertTrue(SseClient.text(events).length() > 0);
  }

  @Test
  void aFailingProviderLeavesACompleteAnswerThatSaysSo() throws Exception {
    mode.set("fail");
    try {
      Api.User u = api.register("unlucky");
      String chat = api.as(u).newChat("no web");
      List<SseClient.Event> events = answer(u, chat, new JsonObject().put("webSearch", true));
      assertEquals(List.of("searching", "search_error"), events.stream().map(SseClient.Event::name).toList().subList(0, 2));
      assertTrue(events.get(1).data().getString("message").contains("500"), events.get(1).data().encode());
      JsonObject done = events.get(events.size() - 1).data();
      assertEquals("done", done.getString("status"));
      JsonObject saved = api.as(u).get("/api/chats/" + chat + "/messages/" + done.getString("messageId")).expect(200).json();
      assertTrue(saved.getString("searchError").contains("500"), saved.encode());
      assertEquals(0, saved.getJsonArray("sources").size());
      assertEquals(SseClient.text(events), saved.getString("content"));
    } finally {
      mode.set("ok");
    }
  }

  @Test
  void apiChatSearchesTooAndSavesTheSourcesIntoTheChat() throws Exception {
    mode.set("ok");
    Api.User u = api.register("rawchat");
    String chat = api.as(u).newChat("raw");
    JsonObject r = api.as(u).post("/api/chat", new JsonObject().put("stream", false).put("webSearch", true).put("chatId", chat)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Why do sea otters hold hands?")))
        .put("options", new JsonObject().put("max_tokens", 3))).expect(200).json();
    assertEquals(base() + "/otters", r.getJsonArray("sources").getJsonObject(0).getString("url"));
    JsonObject saved = api.as(u).get("/api/chats/" + chat + "/messages/" + r.getString("messageId")).expect(200).json();
    assertEquals(r.getJsonArray("sources"), saved.getJsonArray("sources"));
    assertEquals(400, api.as(u).post("/api/chat", new JsonObject().put("webSearch", true).put("messages", new JsonArray()
        .add(new JsonObject().put("role", "assistant").put("content", "x")))).status(), "the last message must be the user's");
  }

  @Test
  void theChatsDefaultSearchesUnlessTheRequestSaysNo() throws Exception {
    mode.set("ok");
    Api.User u = api.register("defaults");
    String chat = api.as(u).newChat("web by default");
    assertTrue(api.as(u).patch("/api/chats/" + chat, new JsonObject().put("webSearch", true)).expect(200).json().getBoolean("webSearch"));
    assertEquals("searching", answer(u, chat, new JsonObject()).get(0).name());
    assertEquals("delta", answer(u, chat, new JsonObject().put("webSearch", false)).get(0).name());
  }

  @Test
  void privateAndMetadataAddressesAreRefusedBeforeAnyConnectionAlsoOnARedirect() throws Exception {
    io.vertx.core.http.HttpClient http = side.createHttpClient();
    PageFetcher fetcher = new PageFetcher(side, http, 2000, 65536, 3, Set.of("127.0.0.1:" + web.actualPort()));
    for (String url : List.of("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/secret", "http://[::1]:80/",
        "http://localhost:" + web.actualPort() + "/otters", "http://127.0.0.1:1/", "ftp://127.0.0.1/x",
        "http://user:pw@" + "127.0.0.1:" + web.actualPort() + "/otters", "http://100.64.0.1/", "http://[fd00:ec2::254]/")) {
      Throwable e = fetcher.fetch(url).toCompletionStage().toCompletableFuture().handle((p, err) -> err).get(10, TimeUnit.SECONDS);
      assertNotNull(e, url);
      assertInstanceOf(PageFetcher.Refused.class, e instanceof java.util.concurrent.CompletionException ? e.getCause() : e, url);
    }
    assertEquals(List.of(), fetcher.requested(), "no request was sent anywhere");
    Throwable moved = fetcher.fetch(base() + "/moved").toCompletionStage().toCompletableFuture().handle((p, err) -> err)
        .get(10, TimeUnit.SECONDS);
    assertNotNull(moved);
    assertEquals(List.of(base() + "/moved"), fetcher.requested(), "the redirect to 10.0.0.1 was not followed");
    PageFetcher.Page page = fetcher.fetch(base() + "/otters").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    Readable.Text text = Readable.of(page.body(), page.contentType(), page.url());
    assertEquals("Sea otters", text.title());
    String all = String.join("\n", text.blocks());
    assertTrue(all.contains("hold hands while they sleep") && all.contains("stones as tools"), all);
    assertFalse(all.contains("cookies") || all.contains("Menu") || all.contains("Copyright") || all.contains("tracking"), all);
    String best = Readable.passages(text.blocks(), Readable.terms("why do otters hold hands"), 80);
    assertTrue(best.startsWith("Sea otters hold hands"), best);
  }

  @Test
  void longPagesAreCutToWhatTheModelCanRead() throws Exception {
    mode.set("long");
    try {
      Api.User u = api.register("longreader");
      String chat = api.as(u).newChat("long");
      JsonObject body = new JsonObject().put("content", "Why do sea otters hold hands?").put("generate", true).put("webSearch", true)
          .put("options", new JsonObject().put("max_tokens", 64));
      JsonObject started = api.as(u).post("/api/chats/" + chat + "/messages", body).expect(201).json();
      List<SseClient.Event> events = SseClient.read(server.port(), "/api/jobs/" + started.getString("jobId") + "/stream", u.token(),
          null, e -> e.name().equals("done"));
      JsonObject done = events.get(events.size() - 1).data();
      assertEquals("done", done.getString("status"), done.encode());
      int promptTokens = done.getJsonObject("usage").getInteger("promptTokens");
      assertTrue(promptTokens > 100 && promptTokens <= 512 - 64, "the passages fill the context but leave the answer room: " + promptTokens);
    } finally {
      mode.set("ok");
    }
  }
}
