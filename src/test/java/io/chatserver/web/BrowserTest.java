package io.chatserver.web;

import io.chatserver.NodeRunner;
import io.chatserver.ServerTestBase;
import io.chatserver.inference.engine.BatchScheduler;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The browser UI end to end: Debian's Chromium driven by playwright-core (src/test/node/ui-e2e.mjs)
 * against the real server with the real model. The scheduler is held and released from here
 * through a small control server, so the flows never depend on the machine's speed. Screenshots,
 * and on failure the page and its console, land in target/ui/.
 */
class BrowserTest extends ServerTestBase {

  static final Path OUT = Path.of("target", "ui").toAbsolutePath();
  private HttpServer control;
  /** The first account (an admin), registered before any flow runs. */
  private io.chatserver.Api.User admin;

  @Override
  protected boolean models() {
    return true;
  }

  private JsonObject conf;

  private int hubPort;
  private int searchPort;

  @Override
  protected JsonObject configure(JsonObject c) {
    this.conf = c;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      hubPort = free.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    io.chatserver.config.AppConfig.set(c, "models.hubEndpoint", "http://127.0.0.1:" + hubPort);
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      searchPort = free.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    io.chatserver.config.AppConfig.set(c, "search.url", "http://127.0.0.1:" + searchPort);
    io.chatserver.config.AppConfig.set(c, "search.fetchAllowedHosts", "127.0.0.1:" + searchPort);
    return c;
  }

  private BatchScheduler scheduler() {
    return server.inference().scheduler("stories260k");
  }

  @BeforeAll
  void startControl(io.vertx.core.Vertx testVertx) throws Exception {
    Files.createDirectories(OUT);
    admin = api.register("admin");
    // a stand-in for the Hugging Face hub that serves the real stories260K weights as org/tiny
    io.chatserver.inference.StandInHub.start(testVertx, hubPort, io.chatserver.inference.StandInHub.MODEL_FILES);
    // and one for SearxNG, with one page to read
    io.chatserver.search.StandInSearch.start(testVertx, searchPort).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // the control server lives on the test's own Vert.x, so it outlives a restart of the chat server
    control = testVertx.createHttpServer().requestHandler(req -> {
      BatchScheduler scheduler = scheduler();
      io.chatserver.inference.HeldSteps steps = io.chatserver.inference.HeldSteps.of(scheduler);
      switch (req.path()) {
        case "/restart" -> testVertx.executeBlocking(() -> {
          // the same port, database and data directory (JWT secret): what a person sees after a restart
          int port = server.port();
          server.close();
          io.chatserver.config.AppConfig.set(conf, "http.port", port);
          server = io.chatserver.TestServer.startWithModels(conf);
          return null;
        }).onComplete(ar -> req.response().setStatusCode(ar.succeeded() ? 200 : 500)
            .end(ar.succeeded() ? "" : String.valueOf(ar.cause())));
        case "/hold" -> {
          steps.hold();
          req.response().end();
        }
        case "/resume" -> {
          steps.resume();
          req.response().end();
        }
        case "/release" -> {
          // answers once the steps have run, so the page can be checked against a text that no longer moves
          int n = Integer.parseInt(req.getParam("steps", "1"));
          long target = scheduler.steps() + n;
          steps.release(n);
          long deadline = System.currentTimeMillis() + 30_000;
          testVertx.setPeriodic(10, id -> {
            if (scheduler.steps() >= target || scheduler.running() + scheduler.waiting() == 0 || System.currentTimeMillis() > deadline) {
              testVertx.cancelTimer(id);
              testVertx.setTimer(100, t -> req.response().end());
            }
          });
        }
        default -> req.response().setStatusCode(404).end();
      }
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void resume() {
    io.chatserver.inference.HeldSteps.of(scheduler()).resume();
  }

  @AfterAll
  void stopControl() {
    if (control != null) {
      control.close();
    }
  }

  private JsonObject flow(String name) throws Exception {
    assertTrue(Files.isExecutable(Path.of("/usr/bin/chromium")),
        "the browser tests need Debian's chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run does it)");
    JsonObject out = NodeRunner.run("ui-e2e.mjs", Map.of("BASE", "http://127.0.0.1:" + server.port(),
        "CTL", "http://127.0.0.1:" + control.actualPort(), "OUT", OUT.toString(), "FLOW", name,
        "ADMIN_USER", admin.username(), "ADMIN_PASSWORD", admin.password()));
    assertTrue(out.getBoolean("ok", false), () -> "UI flow '" + name + "' failed (screenshot and console in " + OUT + "):\n"
        + out.getString("error") + "\nconsole:\n" + out.getJsonArray("console"));
    return out;
  }

  @Test
  void streamsAnAnswerOverTheWebSocketAndSavesWhatItShowed() throws Exception {
    JsonObject m = flow("stream").getJsonObject("metrics");
    String figures = String.format("UI figures (localhost, this machine): first load %.1f KiB transferred (gzip), "
            + "time to interactive %d ms, %d tokens rendered per second while streaming%n",
        m.getLong("firstLoadBytes") / 1024.0, m.getLong("timeToInteractiveMs"), m.getLong("renderedTokensPerSecond"));
    System.out.print(figures);
    Files.writeString(OUT.resolve("figures.txt"), figures);
    assertTrue(m.getLong("firstLoadBytes") > 10_000, "the first load carries the app: " + m);
  }

  @Test
  void stopsMidAnswer() throws Exception {
    flow("stop");
  }

  @Test
  void regeneratesEditsSwitchesBranchesContinuesAndRates() throws Exception {
    flow("branches");
  }

  @Test
  void reloadAndNetworkLossResumeWithoutGapOrDuplicate() throws Exception {
    flow("reload");
  }

  @Test
  void markupInMessagesIsInertAndCodeIsHighlighted() throws Exception {
    flow("render");
  }

  @Test
  void exportsAndImports() throws Exception {
    flow("transfer");
  }

  @Test
  void toolCallsResultsThinkingAndJsonAnswersAreShownApart() throws Exception {
    flow("tools");
  }

  @Test
  void whatANewUserHitIsMended() throws Exception {
    flow("defects");
  }

  @Test
  void anotherUserSeesNothing() throws Exception {
    flow("isolation");
  }

  @Test
  void aSecondAnswerWhileOneRunsSaysWhy() throws Exception {
    flow("limit");
  }

  @Test
  void loginLogoutAndAnEndedSessionKeepsTheDraft() throws Exception {
    flow("login");
  }

  @Test
  void worksOnAPhoneScreen() throws Exception {
    flow("mobile");
  }

  @Test
  void chatListPagesSearchesRenamesFavouritesDeletes() throws Exception {
    flow("sidebar");
  }

  @Test
  void aServerRestartKeepsEverythingAndTheBridgeReconnects() throws Exception {
    flow("restart");
  }

  @Test
  void anAdminAddsAnUpstreamServiceAndAUserChatsWithItsModel() throws Exception {
    flow("services");
  }

  @Test
  void anAdminAddsABotAndAUserStartsAChatWithIt() throws Exception {
    flow("bots");
  }

  @Test
  void anAdminPullsAModelWithProgressAndDeletesIt() throws Exception {
    flow("pull");
  }

  @Test
  void maintenanceShowsABannerToEveryone() throws Exception {
    try {
      flow("systemStatus");
    } finally {
      api.as(admin).put("/api/system/status", new JsonObject().put("mode", "normal")).expect(200);
    }
  }

  @Test
  void aSharedChatIsReadableThroughItsLinkUntilRevoked() throws Exception {
    flow("share");
  }

  @Test
  void feedbackAndTicketsReachTheAdminAndTheReplyComesBack() throws Exception {
    flow("support");
  }

  @Test
  void aDailyTokenLimitSetByTheAdminStopsTheNextAnswer() throws Exception {
    flow("quota");
  }

  @Test
  void aChatStartsAsAPersonalityAndTheDefaultAppliesToNewChats() throws Exception {
    flow("personality");
  }

  @Test
  void aFileAttachedToAQuestionStaysWithTheMessage() throws Exception {
    flow("files");
  }

  @Test
  void anAnswerWithWebSearchShowsItsSourcesAsLinks() throws Exception {
    flow("webSearch");
  }

  @Test
  void adminPageForAdminsOnly() throws Exception {
    flow("admin");
  }

  @Test
  void settingsPersonasAndApiKeys() throws Exception {
    flow("settings");
  }
}
