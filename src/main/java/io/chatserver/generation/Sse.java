package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * Server-sent events for one job: {@code id} is the sequence number, so a client that reconnects
 * with {@code Last-Event-ID} (or {@code ?from=}) gets exactly what it missed. Closing the
 * connection only stops following: the job goes on and its text is still saved.
 */
public final class Sse {

  private Sse() {}

  public static void open(HttpServerResponse resp) {
    resp.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
  }

  /**
   * Streams the caller's job from after {@code from} to its end, with a comment line every 15 s to
   * keep proxies open; 404 when there is no such job. {@code onClientGone} (or null) runs when the
   * client leaves before the end (a raw call stops its job then).
   */
  public static void stream(RoutingContext ctx, GenerationService gen, String jobId, UUID userId, long from, Format format,
                            Runnable onClientGone) {
    HttpServerResponse resp = ctx.response();
    boolean[] ended = new boolean[1];
    long ping = ctx.vertx().setPeriodic(15_000, t -> {
      if (resp.headWritten() && !resp.ended() && !resp.closed()) {
        resp.write(": ping\n\n");
      }
    });
    JobListener listener = new JobListener() {
      private JobRef job;

      @Override
      public void start(JobRef job, boolean done) {
        this.job = job;
        open(resp);
        resp.putHeader("X-Job-Id", job.id());
      }

      @Override
      public void delta(long seq, String text, JsonObject extra) {
        if (!resp.ended() && !resp.closed()) {
          resp.write(extra == null ? format.delta(job, seq, text) : format.delta(job, seq, text, extra));
        }
      }

      @Override
      public void done(long seq, JsonObject result) {
        ended[0] = true;
        ctx.vertx().cancelTimer(ping);
        if (!resp.ended() && !resp.closed()) {
          resp.end(format.done(job, seq, result));
        }
      }
    };
    gen.follow(jobId, userId, from, listener).onComplete(ar -> {
      if (ar.failed() || ar.result() == null) {
        ctx.vertx().cancelTimer(ping);
        ctx.fail(ar.failed() ? ar.cause() : ApiError.notFound("job"));
        return;
      }
      Following following = ar.result();
      Runnable gone = () -> {
        ctx.vertx().cancelTimer(ping);
        following.cancel();
        if (onClientGone != null && !ended[0]) {
          onClientGone.run();
        }
      };
      if (resp.closed()) {
        gone.run();
      } else {
        resp.closeHandler(v -> gone.run());
      }
    });
  }

  /** How events are written: the native format, or OpenAI's chunks. */
  public interface Format {
    String delta(JobRef job, long seq, String text);

    /** A delta with an upstream's OpenAI-only parts ({tool_calls, logprobs}); formats that have no place for them drop them. */
    default String delta(JobRef job, long seq, String text, JsonObject extra) {
      return delta(job, seq, text);
    }

    String done(JobRef job, long seq, JsonObject result);
  }

  /**
   * The native format: {@code event: delta|done}, {@code id: seq}, JSON data; a web search's
   * progress as its own events (searching, reading, sources, search_error); a thinking model's
   * reasoning as {@code event: reasoning} ({jobId, seq, text}); each tool call, once whole, as
   * {@code event: tool} ({jobId, seq, tool: {id, type, function: {name, arguments}}}). One per stream.
   */
  public static Format nativeFormat() {
    return new NativeFormat();
  }

  private static final class NativeFormat implements Format {
    /** Tool calls being put together from their pieces, by index; sent when the next one starts or at the end. */
    private final java.util.TreeMap<Integer, JsonObject> calls = new java.util.TreeMap<>();

    @Override
    public String delta(JobRef job, long seq, String text) {
      return "id: " + seq + "\nevent: delta\ndata: " + new JsonObject().put("jobId", job.id()).put("seq", seq).put("text", text).encode()
          + "\n\n";
    }

    @Override
    public String delta(JobRef job, long seq, String text, JsonObject extra) {
      if (extra == null) {
        return delta(job, seq, text);
      }
      if (extra.getString("event") != null) {
        return "id: " + seq + "\nevent: " + extra.getString("event") + "\ndata: "
            + extra.copy().put("jobId", job.id()).put("seq", seq).encode() + "\n\n";
      }
      StringBuilder out = new StringBuilder();
      if (extra.getValue("tool_calls") instanceof io.vertx.core.json.JsonArray pieces) {
        for (Object o : pieces) {
          if (o instanceof JsonObject piece) {
            int index = piece.getInteger("index", 0);
            out.append(callsBefore(job, seq, index));
            JsonObject call = calls.computeIfAbsent(index, i -> new JsonObject().put("type", "function")
                .put("function", new JsonObject().put("name", "").put("arguments", "")));
            if (piece.getString("id") != null) {
              call.put("id", piece.getString("id"));
            }
            JsonObject f = piece.getJsonObject("function", new JsonObject());
            JsonObject into = call.getJsonObject("function");
            if (f.getString("name") != null) {
              into.put("name", into.getString("name") + f.getString("name"));
            }
            if (f.getString("arguments") != null) {
              into.put("arguments", into.getString("arguments") + f.getString("arguments"));
            }
          }
        }
      }
      if (extra.getString("reasoning_content") != null) {
        out.append("id: ").append(seq).append("\nevent: reasoning\ndata: ").append(new JsonObject().put("jobId", job.id())
            .put("seq", seq).put("text", extra.getString("reasoning_content")).encode()).append("\n\n");
      }
      if (!text.isEmpty()) {
        out.append(delta(job, seq, text));
      }
      return out.toString();
    }

    /** The whole calls before {@code index} (all of them with MAX_VALUE), as tool events, forgotten once sent. */
    private String callsBefore(JobRef job, long seq, int index) {
      StringBuilder out = new StringBuilder();
      while (!calls.isEmpty() && calls.firstKey() < index) {
        JsonObject call = calls.pollFirstEntry().getValue();
        out.append("id: ").append(seq).append("\nevent: tool\ndata: ")
            .append(new JsonObject().put("jobId", job.id()).put("seq", seq).put("tool", call).encode()).append("\n\n");
      }
      return out.toString();
    }

    @Override
    public String done(JobRef job, long seq, JsonObject result) {
      return callsBefore(job, seq - 1, Integer.MAX_VALUE)
          + "id: " + seq + "\nevent: done\ndata: " + result.copy().put("seq", seq).encode() + "\n\n";
    }
  }

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
    throw ApiError.badRequest("from", "Last-Event-ID / from must be a non-negative sequence number");
  }
}
