package io.chatserver.generation;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Server-sent events for one job: {@code id} is the sequence number, so a client that reconnects
 * with {@code Last-Event-ID} (or {@code ?from=}) gets exactly what it missed. Closing the
 * connection only unsubscribes: the job goes on and its text is still saved.
 */
public final class Sse {

  private Sse() {}

  public static void open(HttpServerResponse resp) {
    resp.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
  }

  /** Streams the job from after {@code from} to its end, with a comment line every 15 s to keep proxies open. */
  public static void stream(RoutingContext ctx, Job job, long from, Format format) {
    stream(ctx, job, from, format, null);
  }

  /** As above; {@code onClientGone} runs when the client leaves before the end (a raw call stops its job then). */
  public static void stream(RoutingContext ctx, Job job, long from, Format format, Runnable onClientGone) {
    HttpServerResponse resp = ctx.response();
    open(resp);
    resp.putHeader("X-Job-Id", job.id);
    long ping = ctx.vertx().setPeriodic(15_000, t -> {
      if (!resp.ended() && !resp.closed()) {
        resp.write(": ping\n\n");
      }
    });
    Job.Subscriber sub = new Job.Subscriber() {
      @Override
      public void delta(long seq, String text) {
        delta(seq, text, null);
      }

      @Override
      public void delta(long seq, String text, JsonObject extra) {
        if (!resp.ended() && !resp.closed()) {
          resp.write(extra == null ? format.delta(job, seq, text) : format.delta(job, seq, text, extra));
        }
      }

      @Override
      public void done(long seq, JsonObject result) {
        ctx.vertx().cancelTimer(ping);
        if (!resp.ended() && !resp.closed()) {
          resp.end(format.done(job, seq, result));
        }
      }
    };
    resp.closeHandler(v -> {
      ctx.vertx().cancelTimer(ping);
      job.unsubscribe(sub);
      if (onClientGone != null && !job.isDone()) {
        onClientGone.run();
      }
    });
    job.subscribe(from, sub);
  }

  /** How events are written: the native format, or OpenAI's chunks. */
  public interface Format {
    String delta(Job job, long seq, String text);

    /** A delta with an upstream's OpenAI-only parts ({tool_calls, logprobs}); formats that have no place for them drop them. */
    default String delta(Job job, long seq, String text, JsonObject extra) {
      return delta(job, seq, text);
    }

    String done(Job job, long seq, JsonObject result);
  }

  /** {@code event: delta|done}, {@code id: seq}, JSON data. */
  public static final Format NATIVE = new Format() {
    @Override
    public String delta(Job job, long seq, String text) {
      return "id: " + seq + "\nevent: delta\ndata: " + new JsonObject().put("jobId", job.id).put("seq", seq).put("text", text).encode()
          + "\n\n";
    }

    /** A web search's progress is its own event (searching, reading, sources, search_error), numbered like the deltas. */
    @Override
    public String delta(Job job, long seq, String text, JsonObject extra) {
      if (extra == null || extra.getString("event") == null) {
        return delta(job, seq, text);
      }
      return "id: " + seq + "\nevent: " + extra.getString("event") + "\ndata: "
          + extra.copy().put("jobId", job.id).put("seq", seq).encode() + "\n\n";
    }

    @Override
    public String done(Job job, long seq, JsonObject result) {
      return "id: " + seq + "\nevent: done\ndata: " + result.copy().put("seq", seq).encode() + "\n\n";
    }
  };

  /** The position to resume after: Last-Event-ID header, else ?from=, else 0. */
  public static long resumeFrom(RoutingContext ctx) {
    String h = ctx.request().getHeader("Last-Event-ID");
    String q = ctx.queryParams().get("from");
    String v = h != null && !h.isBlank() ? h : q;
    if (v == null || v.isBlank()) {
      return 0;
    }
    try {
      long n = Long.parseLong(v.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // below
    }
    throw io.chatserver.api.ApiError.badRequest("from", "Last-Event-ID / from must be a non-negative sequence number");
  }
}
