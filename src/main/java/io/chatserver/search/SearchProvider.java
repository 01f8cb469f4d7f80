package io.chatserver.search;

import io.vertx.core.Future;

import java.util.List;

/**
 * Where web search answers find their pages: SearxNG's JSON API by default; others (Brave,
 * Tavily, a company search) implement this and are picked by {@code search.provider}.
 */
public interface SearchProvider {

  /** Up to {@code max} results for the query, best first. */
  Future<List<SearchResult>> search(String query, int max);
}
