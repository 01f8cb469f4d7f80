package io.chatserver.generation;

import io.chatserver.bus.Addresses;
import io.chatserver.bus.JobStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.TreeMap;
import java.util.UUID;

/**
 * A job that runs on another API node, seen from this one: its events are followed on
 * {@link Addresses#jobEvents} and what came before is fetched from the owner with
 * {@link Addresses#jobReplay}, so a client can stream (and resume) through whichever API node it
 * is connected to. The mirror is an ordinary {@link Job}, filled in sequence order. Opened on the generation
 * service's context, so its consumer and the replay's answer run there too.
 */
final class JobMirror {

  private JobMirror() {}

  /** Builds the mirror, or null when no API node knows the job or it is another user's. */
  static Future<Job> open(Vertx vertx, String jobId, UUID userId) {
    TreeMap<Long, JsonObject> early = new TreeMap<>();
    Job[] mirror = new Job[1];
    MessageConsumer<JsonObject> events = vertx.eventBus().consumer(Addresses.jobEvents(jobId));
    events.handler(m -> {
      if (mirror[0] == null) {
        early.put(m.body().getLong("seq", 0L), m.body());
      } else {
        apply(mirror[0], m.body(), events);
      }
    });
    return events.completion()
        .compose(v -> vertx.eventBus().<JsonObject>request(Addresses.jobReplay(jobId), new JsonObject(),
            new DeliveryOptions().setSendTimeout(3000)))
        .map(reply -> {
          JsonObject r = reply.body();
          if (!userId.toString().equals(r.getString("userId"))) {
            events.unregister();
            return null;
          }
          Job job = new Job(jobId, userId, r.getString("model"), false);
          job.workerNode = r.getString("worker");
          if (r.getString("messageId") != null) {
            job.messageId = UUID.fromString(r.getString("messageId"));
          }
          JsonArray deltas = r.getJsonArray("deltas");
          for (int i = 0; i < deltas.size(); i++) {
            job.append(deltas.getString(i));
          }
          if (r.getJsonObject("done") != null) {
            job.finish(r.getJsonObject("done").copy());
            events.unregister();
          } else {
            mirror[0] = job;
            early.values().forEach(e -> apply(job, e, events));
            early.clear();
          }
          return job;
        })
        .recover(e -> {
          events.unregister();
          return Future.succeededFuture(null);
        });
  }

  private static void apply(Job job, JsonObject event, MessageConsumer<JsonObject> events) {
    JobStream msg = JobStream.read(event);
    if (msg instanceof JobStream.Delta d) {
      if (d.seq() == job.deltaCount() + 1L) {
        job.append(d.text(), d.openai());
      }
    } else if (msg instanceof JobStream.Ended e && !job.isDone()) {
      job.finish(e.result().copy());
      events.unregister();
    }
  }
}
