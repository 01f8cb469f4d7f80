package io.chatserver.search;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** SearxNG: {@code GET <url>/search?q=...&format=json}, whose {@code results} have title, url and content. */
final class SearxngProvider implements SearchProvider {

  private final HttpClient http;
  private final String baseUrl;
  private final long timeoutMs;

  SearxngProvider(HttpClient http, String baseUrl, long timeoutMs) {
    this.http = http;
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.timeoutMs = timeoutMs;
  }

  @Override
  public Future<List<SearchResult>> search(String query, int max) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET)
        .setAbsoluteURI(baseUrl + "/search?format=json&q=" + URLEncoder.encode(query, StandardCharsets.UTF_8))
        .setTimeout(timeoutMs).putHeader("Accept", "application/json");
    return http.request(o).compose(req -> req.send()).compose(resp -> resp.body().map(body -> {
      if (resp.statusCode() != 200) {
        throw new IllegalStateException("the search provider answered " + resp.statusCode());
      }
      List<SearchResult> out = new ArrayList<>();
      for (Object o2 : new JsonObject(body).getJsonArray("results", new io.vertx.core.json.JsonArray())) {
        if (o2 instanceof JsonObject r && r.getString("url") != null && out.size() < max) {
          out.add(new SearchResult(r.getString("title", r.getString("url")), r.getString("url"), r.getString("content", "")));
        }
      }
      return out;
    }));
  }
}
