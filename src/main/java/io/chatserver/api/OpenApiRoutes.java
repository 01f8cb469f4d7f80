package io.chatserver.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Serves the OpenAPI 3 contract ({@code src/main/resources/openapi.yaml}) as {@code /openapi.json},
 * and Swagger UI over it at {@code /docs}.
 */
public final class OpenApiRoutes {

  private static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/5.32.15";

  private final JsonObject document;

  public OpenApiRoutes() {
    this.document = load();
  }

  @SuppressWarnings("unchecked")
  public static JsonObject load() {
    try (InputStream in = OpenApiRoutes.class.getResourceAsStream("/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml missing from the classpath");
      }
      return new JsonObject(new ObjectMapper(new YAMLFactory()).readValue(in, Map.class));
    } catch (IOException e) {
      throw new UncheckedIOException("openapi.yaml is not valid YAML", e);
    }
  }

  public JsonObject document() {
    return document;
  }

  public void mount(Router router) {
    String json = document.encode();
    router.get("/openapi.json").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/json; charset=utf-8").end(json));
    // "/docs" also matches "/docs/" in Vert.x; assets are linked absolutely.
    router.get("/docs").handler(ctx -> ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").end(PAGE));
    router.get("/docs/*").handler(StaticHandler.create(SWAGGER_UI).setCachingEnabled(true));
  }

  private static final String PAGE = """
      <!doctype html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>chat-server API</title>
        <link rel="stylesheet" href="/docs/swagger-ui.css">
      </head>
      <body>
        <div id="swagger-ui"></div>
        <script src="/docs/swagger-ui-bundle.js"></script>
        <script>
          window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
        </script>
      </body>
      </html>
      """;
}
