package io.chatserver.search;

/** One hit of a search provider. */
public record SearchResult(String title, String url, String snippet) {}
