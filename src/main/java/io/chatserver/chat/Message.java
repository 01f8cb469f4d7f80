package io.chatserver.chat;

import io.chatserver.storage.Rows;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

import java.util.Set;
import java.util.UUID;

/** One node of a chat's message tree, as stored. */
public record Message(UUID id, UUID parentId, String role, String content, MessageStatus status, String model,
                      JsonObject usage, Integer rating, String ratingComment, String createdAt, String updatedAt,
                      String jobId, JsonObject web, JsonObject extra) {

  public static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

  public static final String COLUMNS =
      "id, parent_id, role, content, status, model, usage, rating, rating_comment, created_at, updated_at, job_id, web, extra";

  static Message of(Row r) {
    Short rating = r.getShort("rating");
    Object usage = r.getValue("usage");
    return new Message(r.getUUID("id"), r.getUUID("parent_id"), r.getString("role"), r.getString("content"),
        MessageStatus.parse(r.getString("status")), r.getString("model"), usage instanceof JsonObject o ? o : null,
        rating == null ? null : rating.intValue(), r.getString("rating_comment"),
        Rows.time(r, "created_at"), Rows.time(r, "updated_at"),
        r.getString("job_id"), r.getValue("web") instanceof JsonObject w ? w : null,
        r.getValue("extra") instanceof JsonObject x ? x : null);
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
    if (extra != null) {
      // an answer's reasoning and tool calls; a tool result's call id and function name
      for (String key : new String[] {"reasoning", "toolCalls", "toolCallId", "name"}) {
        if (extra.getValue(key) != null) {
          json.put(key, extra.getValue(key));
        }
      }
    }
    return json;
  }

  /** The message as a chat template reads it: role and content, with an answer's tool calls or a tool result's call id. */
  public JsonObject forTemplate(String content) {
    JsonObject m = new JsonObject().put("role", role).put("content", content);
    if (extra != null) {
      if (extra.getValue("toolCalls") != null) {
        m.put("tool_calls", extra.getValue("toolCalls"));
      }
      if (extra.getString("toolCallId") != null) {
        m.put("tool_call_id", extra.getString("toolCallId"));
      }
      if (extra.getString("name") != null) {
        m.put("name", extra.getString("name"));
      }
    }
    return m;
  }
}
