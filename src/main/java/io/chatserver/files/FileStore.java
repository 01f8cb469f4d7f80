package io.chatserver.files;

import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The files of chats, in PostgreSQL. Every query is scoped to the chat's owner. */
public final class FileStore {

  /** A file's text for the model (null for images), with its name. */
  public record Attached(UUID id, UUID messageId, String name, String contentType, String text) {}

  /** A file to download. */
  public record Download(String name, String contentType, Buffer data) {}

  private static final String META = "id, chat_id, message_id, name, content_type, size, text IS NOT NULL AS has_text, created_at";

  private final Pool pool;

  public FileStore(Pool pool) {
    this.pool = pool;
  }

  /** Stores a file on the user's chat; null when the chat is not the user's. */
  public Future<JsonObject> save(UUID userId, UUID chatId, String name, FileKind kind, byte[] bytes, String text) {
    return pool.preparedQuery("INSERT INTO chat_files (id, chat_id, user_id, name, content_type, size, data, text) "
            + "SELECT $1, c.id, $3, $4, $5, $6, $7, $8 FROM chats c WHERE c.id = $2 AND c.user_id = $3 RETURNING " + META)
        .execute(Tuple.of(UUID.randomUUID(), chatId, userId, name, kind.contentType(), (long) bytes.length, Buffer.buffer(bytes))
            .addValue(text))
        .map(rs -> Rows.first(rs, FileStore::json));
  }

  /** The chat's files; null when the chat is not the user's. */
  public Future<JsonArray> list(UUID userId, UUID chatId) {
    return pool.preparedQuery("SELECT " + META + ", true AS chat_found FROM chat_files WHERE chat_id = $1 AND user_id = $2 "
            + "UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false FROM chats WHERE id = $1 AND user_id = $2 "
            + "ORDER BY created_at NULLS FIRST, id")
        .execute(Tuple.of(chatId, userId))
        .map(rs -> {
          if (rs.size() == 0) {
            return null;
          }
          JsonArray out = new JsonArray();
          rs.forEach(r -> {
            if (r.getBoolean("chat_found")) {
              out.add(json(r));
            }
          });
          return out;
        });
  }

  /** A file by id, or (the seed's downloads path) the newest of that name; null when not the user's. */
  public Future<Download> download(UUID userId, UUID chatId, UUID fileId, String name) {
    String where = fileId != null ? "id = $3" : "name = $3";
    return pool.preparedQuery("SELECT name, content_type, data FROM chat_files WHERE chat_id = $1 AND user_id = $2 AND " + where
            + " ORDER BY created_at DESC LIMIT 1")
        .execute(Tuple.of(chatId, userId, fileId != null ? fileId : name))
        .map(rs -> Rows.first(rs, r -> new Download(r.getString("name"), r.getString("content_type"), r.getBuffer("data"))));
  }

  public Future<Boolean> delete(UUID userId, UUID chatId, UUID fileId) {
    return pool.preparedQuery("DELETE FROM chat_files WHERE id = $1 AND chat_id = $2 AND user_id = $3")
        .execute(Tuple.of(fileId, chatId, userId)).map(rs -> rs.rowCount() > 0);
  }

  /** The files of the user's chat with these ids, in the order asked; fails listing an id that is not there. */
  public Future<List<Attached>> files(UUID userId, UUID chatId, List<UUID> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return pool.preparedQuery("SELECT id, message_id, name, content_type, text FROM chat_files "
            + "WHERE chat_id = $1 AND user_id = $2 AND id = ANY($3)")
        .execute(Tuple.of(chatId, userId).addArrayOfUUID(ids.toArray(new UUID[0])))
        .map(rs -> {
          List<Attached> found = new ArrayList<>();
          rs.forEach(r -> found.add(attached(r)));
          List<Attached> ordered = new ArrayList<>();
          for (UUID id : ids) {
            Attached a = found.stream().filter(f -> f.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(id.toString()));
            ordered.add(a);
          }
          return ordered;
        });
  }

  /** The files attached to these messages. */
  public Future<List<Attached>> ofMessages(List<UUID> messageIds) {
    if (messageIds.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return pool.preparedQuery("SELECT id, message_id, name, content_type, text FROM chat_files WHERE message_id = ANY($1) "
            + "ORDER BY created_at, id")
        .execute(Tuple.tuple().addArrayOfUUID(messageIds.toArray(new UUID[0])))
        .map(rs -> {
          List<Attached> out = new ArrayList<>();
          rs.forEach(r -> out.add(attached(r)));
          return out;
        });
  }

  /** Links the files to the user message they were sent with. */
  public Future<Void> attach(List<UUID> fileIds, UUID messageId) {
    if (fileIds.isEmpty()) {
      return Future.succeededFuture();
    }
    return pool.preparedQuery("UPDATE chat_files SET message_id = $1 WHERE id = ANY($2)")
        .execute(Tuple.of(messageId).addArrayOfUUID(fileIds.toArray(new UUID[0]))).mapEmpty();
  }

  private static Attached attached(Row r) {
    return new Attached(r.getUUID("id"), r.getUUID("message_id"), r.getString("name"), r.getString("content_type"),
        r.getString("text"));
  }

  private static JsonObject json(Row r) {
    UUID message = r.getUUID("message_id");
    return new JsonObject().put("id", r.getUUID("id").toString()).put("chatId", r.getUUID("chat_id").toString())
        .put("messageId", message == null ? null : message.toString()).put("name", r.getString("name"))
        .put("contentType", r.getString("content_type")).put("size", r.getLong("size"))
        .put("hasText", r.getBoolean("has_text")).put("createdAt", Rows.time(r, "created_at"));
  }
}
