package io.chatserver.api;

import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The served OpenAPI document and the router agree: every route is documented, every documented route exists. */
class OpenApiTest extends ServerTestBase {

  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

  @Test
  void everyRouteIsDocumentedAndNothingElse() {
    JsonObject doc = api.get("/openapi.json").expect(200).json();
    assertTrue(doc.getString("openapi").startsWith("3."));
    Set<String> documented = new TreeSet<>();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        if (METHODS.contains(method)) {
          documented.add(method.toUpperCase() + " " + path);
        }
      }
    }
    Set<String> routed = new TreeSet<>();
    for (String route : server.routes()) {
      routed.add(route.replaceAll(":([A-Za-z]+)", "{$1}"));
    }
    Set<String> undocumented = new TreeSet<>(routed);
    undocumented.removeAll(documented);
    assertEquals(Set.of(), undocumented, "routes missing from openapi.yaml");
    Set<String> stale = new TreeSet<>(documented);
    stale.removeAll(routed);
    assertEquals(Set.of(), stale, "openapi.yaml documents routes the router does not have");
    assertTrue(routed.size() > 30, routed.toString());
  }

  @Test
  void docsPageServesSwaggerUi() {
    String page = api.get("/docs/").expect(200).body();
    assertTrue(page.contains("/openapi.json") && page.contains("swagger-ui-bundle.js"));
    assertTrue(api.get("/docs/swagger-ui-bundle.js").expect(200).body().length() > 100_000);
  }
}
