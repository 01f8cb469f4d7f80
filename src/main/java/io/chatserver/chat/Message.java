package io.chatserver.chat;

import io.chatserver.storage.Rows;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

import java.util.Set;
import java.util.UUID;

/** One node of a chat's message tree, as stored. */
public record Message(UUID id, UUID parentId, String role, String content, MessageStatus status, String model,
                      JsonObject usage, Integer rating, String ratingComment, String createdAt, String updatedAt,
                      String jobId, JsonObject web) {

  public static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

  public static final String COLUMNS =
      "id, parent_id, role, content, status, model, usage, rating, rating_comment, created_at, updated_at, job_id, web";

  static Message of(Row r) {
    Short rating = r.getShort("rating");
    Object usage = r.getValue("usage");
    return new Message(r.getUUID("id"), r.getUUID("parent_id"), r.getString("role"), r.getString("content"),
        MessageStatus.parse(r.getString("status")), r.getString("model"), usage instanceof JsonObject o ? o : null,
        rating == null ? null : rating.intValue(), r.getString("rating_comment"),
        Rows.time(r, "created_at"), Rows.time(r, "updated_at"),
        r.getString("job_id"), r.getValue("web") instanceof JsonObject w ? w : null);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("id", id.toString())
        .put("parentId", parentId == null ? null : parentId.toString())
        .put("role", role)
        .put("content", content)
        .put("status", status.wire())
        .put("model", model)
        .put("usage", usage)
        .put("rating", rating)
        .put("ratingComment", ratingComment)
        .put("createdAt", createdAt)
        .put("updatedAt", updatedAt)
        // the job writing it, while it is being written: a client re-attaches to its stream with it
        .put("jobId", status == MessageStatus.STREAMING ? jobId : null);
    if (web != null) {
      // an answer grounded in a web search: its numbered sources, or why there are none
      json.put("sources", web.getJsonArray("sources", new io.vertx.core.json.JsonArray()));
      if (web.getString("searchError") != null) {
        json.put("searchError", web.getString("searchError"));
      }
    }
    return json;
  }
}
