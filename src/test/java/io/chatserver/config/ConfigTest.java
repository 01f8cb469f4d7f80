package io.chatserver.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigTest {

  @Test
  void defaultsComeFromConf() {
    JsonObject conf = AppConfig.load(Map.of());
    assertEquals(8080, AppConfig.get(conf, "http.port"));
    assertEquals("./data", conf.getString("dataDir"));
    assertNull(AppConfig.get(conf, "db.url"));
  }

  @Test
  void environmentOverridesEveryDocumentedKey() {
    JsonObject conf = AppConfig.load(Map.of("PORT", "9999", "DATA_DIR", "/tmp/x", "DB_URL", "postgresql://u:p@h:1/d",
        "JWT_SECRET", "s".repeat(40), "ADMIN_USERNAME", "root", "BODY_LIMIT_BYTES", "2048"));
    assertEquals(9999, AppConfig.get(conf, "http.port"));
    assertEquals("/tmp/x", conf.getString("dataDir"));
    assertEquals("postgresql://u:p@h:1/d", AppConfig.get(conf, "db.url"));
    assertEquals("root", AppConfig.get(conf, "auth.adminUsername"));
    assertEquals(2048L, ((Number) AppConfig.get(conf, "http.bodyLimitBytes")).longValue());
    for (AppConfig.EnvVar v : AppConfig.ENV) {
      if (v.path() != null) {
        assertTrue(AppConfig.has(AppConfig.defaults(), v.path()), v.name() + " points at a key conf/config.json lacks: " + v.path());
      }
    }
    assertFalse(AppConfig.has(AppConfig.defaults(), "http.noSuchKey"), "the check itself can fail");
  }

  @Test
  void badNumbersAndFilesAreClearErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AppConfig.load(Map.of("PORT", "eighty")));
    assertTrue(e.getMessage().contains("PORT"));
    e = assertThrows(IllegalArgumentException.class, () -> AppConfig.load(Map.of("CONFIG_FILE", "/no/such/file.json")));
    assertTrue(e.getMessage().contains("/no/such/file.json"));
  }

  @Test
  void configFileIsMergedOverDefaults() throws IOException {
    Path f = Files.createTempFile("conf", ".json");
    Files.writeString(f, "{\"http\": {\"port\": 7070}}");
    JsonObject conf = AppConfig.load(Map.of("CONFIG_FILE", f.toString()));
    assertEquals(7070, AppConfig.get(conf, "http.port"));
    assertEquals("127.0.0.1", AppConfig.get(conf, "http.host"));
  }

  @Test
  void readmeDocumentsEveryEnvironmentVariable() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    for (AppConfig.EnvVar v : AppConfig.ENV) {
      assertTrue(readme.contains("`" + v.name() + "`"), "README's configuration table lacks " + v.name());
    }
  }
}
