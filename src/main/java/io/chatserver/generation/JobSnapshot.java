package io.chatserver.generation;

import io.vertx.core.json.JsonObject;

/** A job at one moment, copied off the generation service's context (see {@link GenerationService#snapshot}). */
public record JobSnapshot(JobRef job, boolean done, String text, int deltas, String worker, JsonObject result) {

  /** {jobId, model, done, text, deltas, messageId, worker, result?}: what {@code GET /api/jobs/{id}} answers. */
  public JsonObject toJson() {
    JsonObject out = new JsonObject().put("jobId", job.id()).put("model", job.model()).put("done", done)
        .put("text", text).put("deltas", deltas)
        .put("messageId", job.messageId() == null ? null : job.messageId().toString()).put("worker", worker);
    if (done) {
      out.put("result", result);
    }
    return out;
  }
}
