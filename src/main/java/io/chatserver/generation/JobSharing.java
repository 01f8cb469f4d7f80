package io.chatserver.generation;

import io.chatserver.bus.Addresses;
import io.chatserver.bus.JobStream;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

/**
 * The owner's half of following a job from another API node (the other half is {@link JobMirror}):
 * the job's past is replayed on request ({@link Addresses#jobReplay}), and from the first such
 * request on its events are published ({@link Addresses#jobEvents}); while nobody mirrors the job,
 * nothing crosses the bus. Runs on the generation service's context (the replay consumer is registered there).
 */
final class JobSharing {

  private JobSharing() {}

  /** Answers the job's replay requests from now on; returns what stops that (once the job is forgotten). */
  static Runnable share(Vertx vertx, Job job) {
    String events = Addresses.jobEvents(job.id);
    boolean[] publishing = new boolean[1];
    JobListener publisher = new JobListener() {
      @Override
      public void delta(long seq, String text, JsonObject extra) {
        vertx.eventBus().publish(events, new JobStream.Delta(job.id, 0, seq, text, extra).toJson());
      }

      @Override
      public void done(long seq, JsonObject result) {
        vertx.eventBus().publish(events, new JobStream.Ended(job.id, 0, seq, result).toJson());
      }
    };
    MessageConsumer<JsonObject> replay = vertx.eventBus().consumer(Addresses.jobReplay(job.id), m -> {
      JsonObject r = new JsonObject().put("userId", job.userId.toString()).put("model", job.model)
          .put("worker", job.workerNode).put("messageId", job.messageId == null ? null : job.messageId.toString());
      r.put("deltas", job.deltas()).put("done", job.result());
      if (!publishing[0] && !job.isDone()) {
        publishing[0] = true;
        job.subscribe(job.deltaCount(), publisher); // what follows the replay
      }
      m.reply(r);
    });
    return replay::unregister;
  }
}
