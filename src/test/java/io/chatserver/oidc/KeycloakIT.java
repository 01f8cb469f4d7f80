package io.chatserver.oidc;

import io.chatserver.Keycloak;
import io.chatserver.NodeRunner;
import io.chatserver.ServerTestBase;
import io.chatserver.config.AppConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sign-in through a real Keycloak (started by the test on 127.0.0.1 with the realm in the test
 * resources), in Chromium: a person signs in, lands in the chat, streams an answer, is an admin
 * exactly when in Keycloak's admin group, and logs out here and at Keycloak.
 */
class KeycloakIT extends ServerTestBase {

  static final Path OUT = Path.of("target", "ui").toAbsolutePath();
  private Keycloak keycloak;

  @Override
  protected boolean models() {
    return true;
  }

  @Override
  protected JsonObject configure(JsonObject conf) {
    try {
      keycloak = Keycloak.start();
    } catch (Exception e) {
      throw new IllegalStateException("Keycloak did not start", e);
    }
    AppConfig.set(conf, "auth.oidc.providers", new JsonArray().add(new JsonObject().put("id", "keycloak").put("name", "Keycloak")
        .put("issuer", keycloak.issuer()).put("clientId", "chat-server").put("clientSecret", "chat-server-secret")
        .put("adminGroups", "chat-admins").put("allowedGroups", "staff"))
        // the same realm with a wrong client secret: Keycloak refuses the code exchange
        .add(new JsonObject().put("id", "wrong-secret").put("name", "Keycloak (wrong secret)").put("issuer", keycloak.issuer())
            .put("clientId", "chat-server").put("clientSecret", "not-the-secret")));
    return conf;
  }

  @AfterAll
  void stopKeycloak() {
    if (keycloak != null) {
      keycloak.close();
    }
  }

  @Test
  void aPersonSignsInThroughKeycloakChatsIsAnAdminByGroupAndLogsOut() throws Exception {
    assertTrue(Files.isExecutable(Path.of("/usr/bin/chromium")), "the browser tests need Debian's chromium at /usr/bin/chromium");
    Files.createDirectories(OUT);
    JsonObject out = NodeRunner.run("ui-e2e.mjs", Map.of("BASE", "http://127.0.0.1:" + server.port(), "CTL", "http://127.0.0.1:9",
        "OUT", OUT.toString(), "FLOW", "keycloak", "ADMIN_USER", "-", "ADMIN_PASSWORD", "-"));
    assertTrue(out.getBoolean("ok", false), () -> "UI flow 'keycloak' failed (screenshot and console in " + OUT + "):\n"
        + out.getString("error") + "\nconsole:\n" + out.getJsonArray("console"));
  }
}
