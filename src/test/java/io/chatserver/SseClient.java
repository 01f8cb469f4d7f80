package io.chatserver;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** Reads a server-sent event stream line by line as it arrives (java.net.http, so nothing is buffered to the end). */
public final class SseClient {

  /** One event: its id, name and JSON data. */
  public record Event(long id, String name, JsonObject data) {}

  private SseClient() {}

  /** Reads events until {@code stopAfter} says so or the stream ends. */
  public static List<Event> read(int port, String path, String token, String lastEventId, Predicate<Event> stopAfter)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(120)).header("Accept", "text/event-stream");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<Stream<String>> resp = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofLines());
    if (resp.statusCode() != 200) {
      throw new AssertionError("SSE " + path + " answered " + resp.statusCode() + ": " + String.join("\n", resp.body().toList()));
    }
    List<Event> events = new ArrayList<>();
    long id = -1;
    String name = "message";
    StringBuilder data = new StringBuilder();
    try (Stream<String> lines = resp.body()) {
      Iterator<String> it = lines.iterator();
      while (it.hasNext()) {
        String line = it.next();
        if (line.isEmpty()) {
          if (data.length() > 0) {
            String d = data.toString();
            Event e = new Event(id, name, d.equals("[DONE]") ? new JsonObject().put("done", true) : new JsonObject(d));
            events.add(e);
            if (stopAfter.test(e)) {
              break;
            }
          }
          id = -1;
          name = "message";
          data.setLength(0);
        } else if (line.startsWith("id:")) {
          id = Long.parseLong(line.substring(3).trim());
        } else if (line.startsWith("event:")) {
          name = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).trim());
        }
      }
    }
    return events;
  }

  public static String text(List<Event> events) {
    StringBuilder sb = new StringBuilder();
    events.stream().filter(e -> e.name().equals("delta")).forEach(e -> sb.append(e.data().getString("text")));
    return sb.toString();
  }
}
