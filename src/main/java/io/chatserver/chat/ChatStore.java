package io.chatserver.chat;

import io.chatserver.errors.Refusal;
import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Chats and their message trees in PostgreSQL. Every method takes the caller's user id and
 * treats another user's chat exactly like a missing one (404), so nothing leaks across users.
 */
public final class ChatStore {

  /** Where a new message goes: under {@code parentId} when {@code explicit}, else under the current leaf. */
  public record Parent(boolean explicit, UUID parentId) {
    public static final Parent CURRENT_LEAF = new Parent(false, null);
  }

  private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");

  private final Pool pool;

  public ChatStore(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  // ---- chats ----

  public Future<JsonObject> create(UUID userId, String title, String systemMessage) {
    return insertChat(pool, userId, title, systemMessage, false, null, null);
  }

  /** A chat started with a catalog personality: its system prompt copied in, its id kept. */
  public Future<JsonObject> createWithPersonality(UUID userId, String title, String systemMessage, String personality) {
    return pool.preparedQuery("INSERT INTO chats (id, user_id, title, system_message, personality) VALUES ($1, $2, $3, $4, $5) "
            + "RETURNING *")
        .execute(Tuple.of(UUID.randomUUID(), userId, title, systemMessage, personality)).map(rs -> chatJson(rs.iterator().next()));
  }

  /** A chat started with a saved persona: its text copied in, the link kept (null once the persona is deleted). */
  public Future<JsonObject> createWithPersona(UUID userId, String title, String systemMessage, UUID personaId) {
    return pool.preparedQuery("INSERT INTO chats (id, user_id, title, system_message, persona_id) VALUES ($1, $2, $3, $4, $5) "
            + "RETURNING *")
        .execute(Tuple.of(UUID.randomUUID(), userId, title, systemMessage, personaId)).map(rs -> chatJson(rs.iterator().next()));
  }

  /** A chat with a bot: its system prompt copied in, the link kept (null once the bot is deleted). */
  public Future<JsonObject> createWithBot(UUID userId, String title, String systemMessage, UUID botId) {
    return pool.preparedQuery("INSERT INTO chats (id, user_id, title, system_message, bot_id) VALUES ($1, $2, $3, $4, $5) "
            + "RETURNING *")
        .execute(Tuple.of(UUID.randomUUID(), userId, title, systemMessage, botId)).map(rs -> chatJson(rs.iterator().next()));
  }

  /** Inserts a chat; timestamps default to now (import passes the originals). */
  public static Future<JsonObject> insertChat(SqlClient client, UUID userId, String title, String systemMessage, boolean favorite,
                                       OffsetDateTime createdAt, OffsetDateTime updatedAt) {
    return client.preparedQuery("INSERT INTO chats (id, user_id, title, system_message, favorite, created_at, updated_at) "
            + "VALUES ($1, $2, $3, $4, $5, COALESCE($6, clock_timestamp()), COALESCE($7, $6, clock_timestamp())) RETURNING *")
        .execute(Tuple.of(UUID.randomUUID(), userId, title, systemMessage, favorite, createdAt, updatedAt))
        .map(rs -> chatJson(rs.iterator().next()));
  }

  /** A message of an imported chat, checked, with its new id and its parent's. */
  public record ImportedMessage(UUID id, UUID parentId, String role, String content, MessageStatus status, String model,
                                JsonObject usage, Integer rating, String ratingComment, OffsetDateTime createdAt,
                                OffsetDateTime updatedAt, JsonObject extra) {}

  /**
   * Inserts an imported chat's messages (parents first) and sets its current leaf, in the caller's
   * transaction. A message that was still streaming when exported has no live job here: it is stopped.
   */
  public static Future<Void> insertImported(SqlClient client, UUID chatId, List<ImportedMessage> messages, UUID currentLeafId) {
    List<Tuple> rows = new ArrayList<>();
    for (ImportedMessage m : messages) {
      MessageStatus status = m.status() == MessageStatus.STREAMING ? MessageStatus.STOPPED : m.status();
      rows.add(Tuple.tuple().addValue(m.id()).addValue(chatId).addValue(m.parentId()).addValue(m.role()).addValue(m.content())
          .addValue(status.wire()).addValue(m.model()).addValue(m.usage())
          .addValue(m.rating() == null ? null : m.rating().shortValue()).addValue(m.ratingComment())
          .addValue(m.createdAt()).addValue(m.updatedAt()).addValue(m.extra()));
    }
    Future<Void> inserted = rows.isEmpty() ? Future.succeededFuture()
        : client.preparedQuery("INSERT INTO messages (id, chat_id, parent_id, role, content, status, model, usage, rating, "
                + "rating_comment, created_at, updated_at, extra) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                + "COALESCE($11, clock_timestamp()), COALESCE($12, $11, clock_timestamp()), $13)")
            .executeBatch(rows).mapEmpty();
    return inserted.compose(v -> currentLeafId == null ? Future.succeededFuture()
        : client.preparedQuery("UPDATE chats SET current_leaf_id = $2 WHERE id = $1").execute(Tuple.of(chatId, currentLeafId))
            .mapEmpty());
  }

  /** The ids of every chat of the user, oldest first. */
  public Future<List<UUID>> chatIds(UUID userId) {
    return pool.preparedQuery("SELECT id FROM chats WHERE user_id = $1 ORDER BY created_at, id").execute(Tuple.of(userId))
        .map(rs -> {
          List<UUID> ids = new ArrayList<>();
          rs.forEach(r -> ids.add(r.getUUID("id")));
          return ids;
        });
  }

  /**
   * Which of a user's chats a list or a delete is about: every one of them by default; when set,
   * only favourites (or only others), only the chats with a bot, with a saved persona, or with
   * exactly this system message.
   */
  public record ChatFilter(Boolean favorite, UUID botId, UUID personaId, String systemMessage) {
    public static final ChatFilter ALL = new ChatFilter(null, null, null, null);

    /** The SQL condition on chats {@code c}, its parameters numbered from {@code $first}. */
    String where(int first) {
      return " AND ($" + first + "::boolean IS NULL OR c.favorite = $" + first + ")"
          + " AND ($" + (first + 1) + "::uuid IS NULL OR c.bot_id = $" + (first + 1) + ")"
          + " AND ($" + (first + 2) + "::uuid IS NULL OR c.persona_id = $" + (first + 2) + ")"
          + " AND ($" + (first + 3) + "::text IS NULL OR c.system_message = $" + (first + 3) + ")";
    }

    void addTo(Tuple t) {
      t.addValue(favorite).addValue(botId).addValue(personaId).addValue(systemMessage);
    }
  }

  /**
   * A page of the user's chats, most recently active first. {@code query} is matched as word
   * prefixes against titles and message text (full-text index); {@code favorite} filters when set.
   */
  public Future<JsonObject> list(UUID userId, String query, Boolean favorite, int limit, int offset) {
    return list(userId, query, new ChatFilter(favorite, null, null, null), limit, offset);
  }

  /** As above, only the chats the filter keeps. */
  public Future<JsonObject> list(UUID userId, String query, ChatFilter filter, int limit, int offset) {
    String tsquery = query == null || query.isBlank() ? null : toPrefixQuery(query);
    if (query != null && !query.isBlank()) {
      if (tsquery == null) {
        return Future.succeededFuture(new JsonObject().put("items", new JsonArray()).put("total", 0));
      }
    }
    String where = " FROM chats c WHERE c.user_id = $1" + filter.where(3)
        + " AND ($2::text IS NULL OR c.search @@ to_tsquery('simple', $2) OR EXISTS (SELECT 1 FROM messages m "
        + "WHERE m.chat_id = c.id AND m.search @@ to_tsquery('simple', $2)))";
    Tuple countArgs = Tuple.of(userId, tsquery);
    filter.addTo(countArgs);
    return pool.preparedQuery("SELECT count(*)" + where).execute(countArgs)
        .compose(count -> {
      long total = count.iterator().next().getLong(0);
      Tuple args = Tuple.of(userId, tsquery);
      filter.addTo(args);
      args.addValue(limit).addValue(offset);
      return pool.preparedQuery("SELECT c.*, (SELECT count(*) FROM messages m WHERE m.chat_id = c.id) AS message_count"
              + where + " ORDER BY c.updated_at DESC, c.id LIMIT $7 OFFSET $8")
          .execute(args)
          .map(rs -> {
            JsonArray items = new JsonArray();
            rs.forEach(r -> items.add(chatJson(r).put("messageCount", r.getLong("message_count"))));
            return new JsonObject().put("items", items).put("total", total);
          });
    });
  }

  /** {@code "run fast"} becomes {@code run:* & fast:*}; only letters and digits reach the query. */
  static String toPrefixQuery(String text) {
    List<String> terms = new ArrayList<>();
    Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
    while (m.find() && terms.size() < 16) {
      terms.add(m.group() + ":*");
    }
    return terms.isEmpty() ? null : String.join(" & ", terms);
  }

  /** The chat (without messages), or null when it is not the user's. */
  public Future<JsonObject> get(UUID userId, UUID chatId) {
    return pool.preparedQuery("SELECT * FROM chats WHERE id = $1 AND user_id = $2").execute(Tuple.of(chatId, userId))
        .map(rs -> Rows.first(rs, ChatStore::chatJson));
  }

  /** The chat with every message of its tree; fails with 404 when it is not the user's. */
  public Future<JsonObject> getWithMessages(UUID userId, UUID chatId) {
    return require(get(userId, chatId)).compose(chat -> messages(pool, chatId).map(list -> {
      JsonArray msgs = new JsonArray();
      list.forEach(m -> msgs.add(m.toJson()));
      return chat.put("messages", msgs);
    }));
  }

  /** The chat and its tree, for branch questions; 404 when not the user's. */
  public Future<ChatAndTree> tree(UUID userId, UUID chatId) {
    return require(get(userId, chatId)).compose(chat -> messages(pool, chatId).map(list -> new ChatAndTree(chat, new MessageTree(list))));
  }

  public record ChatAndTree(JsonObject chat, MessageTree tree) {
    public UUID currentLeafId() {
      String s = chat.getString("currentLeafId");
      return s == null ? null : UUID.fromString(s);
    }

    /** Root to the current leaf (or the newest leaf when none is set, or it is gone). */
    public java.util.List<Message> currentBranch() {
      UUID current = currentLeafId();
      Message through = current != null && tree.get(current) != null ? tree.get(current) : tree.newestLeaf();
      return through == null ? java.util.List.of() : tree.branch(through);
    }
  }

  /**
   * Changes title / favorite / system message / current leaf. {@code changes} holds only keys to set:
   * title, favorite, system_message (null clears), current_leaf_id (must be a message of this chat).
   */
  public Future<JsonObject> update(UUID userId, UUID chatId, JsonObject changes) {
    return pool.withTransaction(conn -> lockChat(conn, userId, chatId).compose(current -> {
      Future<Void> check = Future.succeededFuture();
      if (changes.containsKey("current_leaf_id")) {
        check = conn.preparedQuery("SELECT 1 FROM messages WHERE id = $1 AND chat_id = $2")
            .execute(Tuple.of(UUID.fromString(changes.getString("current_leaf_id")), chatId))
            .compose(rs -> rs.size() == 0
                ? Future.failedFuture(Refusal.notFound("message not found in this chat", "currentLeafId"))
                : Future.succeededFuture());
      }
      return check.compose(v -> {
        // a rename or a new system message is a change to the chat; starring it or switching branches is not
        boolean edited = changes.containsKey("title") || changes.containsKey("system_message");
        StringBuilder sql = new StringBuilder(edited ? "UPDATE chats SET updated_at = clock_timestamp()" : "UPDATE chats SET updated_at = updated_at");
        Tuple args = Tuple.of(chatId);
        for (String column : new String[] {"title", "favorite", "system_message", "current_leaf_id", "web_search", "persona_id"}) {
          if (changes.containsKey(column)) {
            Object value = changes.getValue(column);
            args.addValue(column.equals("current_leaf_id") || column.equals("persona_id") ? UUID.fromString((String) value) : value);
            sql.append(", ").append(column).append(" = $").append(args.size());
          }
        }
        sql.append(" WHERE id = $1 RETURNING *");
        return conn.preparedQuery(sql.toString()).execute(args).map(rs -> chatJson(rs.iterator().next()));
      });
    }));
  }

  /** Saves what a web search gave an answer ({sources, searchError?}). */
  public Future<Void> setWeb(UUID messageId, JsonObject web) {
    return pool.preparedQuery("UPDATE messages SET web = $2 WHERE id = $1").execute(Tuple.of(messageId, web)).mapEmpty();
  }

  public Future<Boolean> delete(UUID userId, UUID chatId) {
    return pool.preparedQuery("DELETE FROM chats WHERE id = $1 AND user_id = $2").execute(Tuple.of(chatId, userId))
        .map(rs -> rs.rowCount() > 0);
  }

  /** Deletes the user's chats that the filter keeps (favourites too unless {@code keepFavorites}); returns how many. */
  public Future<Integer> deleteAll(UUID userId, boolean keepFavorites, ChatFilter filter) {
    Tuple args = Tuple.of(userId, keepFavorites);
    filter.addTo(args);
    return pool.preparedQuery("DELETE FROM chats c WHERE c.user_id = $1 AND (NOT $2 OR NOT c.favorite)" + filter.where(3))
        .execute(args).map(RowSet::rowCount);
  }

  // ---- messages ----

  /**
   * Adds a message and makes it the chat's current leaf. Posting under a message that already has
   * children starts a new branch beside them; the old branches stay.
   */
  public Future<Message> addMessage(UUID userId, UUID chatId, Parent parent, String role, String content) {
    return pool.withTransaction(conn -> lockChat(conn, userId, chatId).compose(currentLeaf -> {
      UUID parentId = parent.explicit() ? parent.parentId() : currentLeaf;
      Future<Void> check = parentId == null || !parent.explicit() ? Future.succeededFuture()
          : conn.preparedQuery("SELECT 1 FROM messages WHERE id = $1 AND chat_id = $2").execute(Tuple.of(parentId, chatId))
              .compose(rs -> rs.size() == 0
                  ? Future.failedFuture(Refusal.notFound("parent message not found in this chat", "parentId"))
                  : Future.succeededFuture());
      UUID id = UUID.randomUUID();
      return check
          .compose(v -> conn.preparedQuery("INSERT INTO messages (id, chat_id, parent_id, role, content) "
                  + "VALUES ($1, $2, $3, $4, $5) RETURNING " + Message.COLUMNS)
              .execute(Tuple.of(id, chatId, parentId, role, content)))
          .compose(rs -> conn.preparedQuery("UPDATE chats SET current_leaf_id = $2, updated_at = clock_timestamp() WHERE id = $1")
              .execute(Tuple.of(chatId, id)).map(x -> Message.of(rs.iterator().next())));
    }));
  }

  /** A message to insert: role, content, status and model. */
  /** A message to add; {@code extra}: a tool result's {toolCallId, name} (or null). */
  public record NewMessage(String role, String content, MessageStatus status, String model, String jobId, JsonObject extra) {
    public NewMessage(String role, String content, MessageStatus status, String model, String jobId) {
      this(role, content, status, model, jobId, null);
    }

    public NewMessage(String role, String content, MessageStatus status, String model) {
      this(role, content, status, model, null, null);
    }
  }

  /**
   * Inserts a chain of messages in one transaction, the first under {@code parent}, each next one
   * under the previous; the last becomes the current leaf. All or nothing.
   */
  public Future<List<Message>> addChain(UUID userId, UUID chatId, UUID parentId, List<NewMessage> chain) {
    return pool.withTransaction(conn -> lockChat(conn, userId, chatId).compose(leaf -> {
      Future<Void> check = parentId == null ? Future.succeededFuture()
          : conn.preparedQuery("SELECT 1 FROM messages WHERE id = $1 AND chat_id = $2").execute(Tuple.of(parentId, chatId))
              .compose(rs -> rs.size() == 0 ? Future.failedFuture(Refusal.notFound("message")) : Future.succeededFuture());
      List<Message> out = new ArrayList<>();
      Future<UUID> parent = check.map(v -> parentId);
      for (NewMessage nm : chain) {
        parent = parent.compose(p -> conn.preparedQuery("INSERT INTO messages (id, chat_id, parent_id, role, content, status, model, job_id, "
                + "extra) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING " + Message.COLUMNS)
            .execute(Tuple.tuple().addValue(UUID.randomUUID()).addValue(chatId).addValue(p).addValue(nm.role()).addValue(nm.content())
                .addValue(nm.status().wire()).addValue(nm.model()).addValue(nm.jobId()).addValue(nm.extra()))
            .map(rs -> {
              Message m = Message.of(rs.iterator().next());
              out.add(m);
              return m.id();
            }));
      }
      return parent.compose(last -> conn.preparedQuery("UPDATE chats SET current_leaf_id = $2, updated_at = clock_timestamp() WHERE id = $1")
          .execute(Tuple.of(chatId, last))).map(x -> out);
    }));
  }

  /** Marks an assistant message as being extended (continue); 404 when not the user's assistant message. */
  public Future<Message> markStreaming(UUID userId, UUID chatId, UUID messageId, String jobId) {
    return updateMessage(userId, chatId, messageId, "status = 'streaming', job_id = $4", jobId);
  }

  public Future<Message> message(UUID userId, UUID chatId, UUID messageId) {
    return require(get(userId, chatId)).compose(chat -> pool.preparedQuery("SELECT " + Message.COLUMNS
            + " FROM messages WHERE id = $1 AND chat_id = $2").execute(Tuple.of(messageId, chatId)))
        .map(rs -> {
          Message m = Rows.first(rs, Message::of);
          if (m == null) {
            throw Refusal.notFound("message");
          }
          return m;
        });
  }

  /** Edits a message's text in place (no new branch). */
  public Future<Message> editContent(UUID userId, UUID chatId, UUID messageId, String content) {
    return updateMessage(userId, chatId, messageId, "content = $4", content);
  }

  /** Sets the rating (1, 0 or -1) and an optional comment. */
  public Future<Message> rate(UUID userId, UUID chatId, UUID messageId, int value, String comment) {
    return updateMessage(userId, chatId, messageId, "rating = $4, rating_comment = $5", (short) value, comment);
  }

  private Future<Message> updateMessage(UUID userId, UUID chatId, UUID messageId, String set, Object... values) {
    Tuple args = Tuple.of(messageId, chatId, userId);
    for (Object v : values) {
      args.addValue(v);
    }
    String returning = String.join(", ", List.of(Message.COLUMNS.split(", ")).stream().map(c -> "m." + c).toList());
    return pool.preparedQuery("UPDATE messages m SET " + set + ", updated_at = clock_timestamp() FROM chats c "
            + "WHERE m.id = $1 AND m.chat_id = $2 AND c.id = m.chat_id AND c.user_id = $3 RETURNING " + returning)
        .execute(args)
        .map(rs -> {
          Message m = Rows.first(rs, Message::of);
          if (m == null) {
            throw Refusal.notFound("message");
          }
          return m;
        });
  }

  /**
   * Deletes a message with its whole subtree. When the current leaf was inside it, the current
   * branch moves to the deleted message's parent, continued to its newest leaf.
   */
  public Future<Void> deleteMessage(UUID userId, UUID chatId, UUID messageId) {
    return pool.withTransaction(conn -> lockChat(conn, userId, chatId).compose(currentLeaf -> messages(conn, chatId)
        .compose(list -> {
          MessageTree tree = new MessageTree(list);
          Message target = tree.get(messageId);
          if (target == null) {
            return Future.failedFuture(Refusal.notFound("message"));
          }
          List<UUID> doomed = tree.subtree(messageId);
          UUID newLeaf = currentLeaf;
          if (currentLeaf == null || doomed.contains(currentLeaf)) {
            List<Message> rest = new ArrayList<>(list);
            rest.removeIf(m -> doomed.contains(m.id()));
            MessageTree after = new MessageTree(rest);
            Message parent = target.parentId() == null ? null : after.get(target.parentId());
            Message leaf = parent != null ? after.newestLeafBelow(parent) : after.newestLeaf();
            newLeaf = leaf == null ? null : leaf.id();
          }
          UUID leaf = newLeaf;
          return conn.preparedQuery("DELETE FROM messages WHERE id = $1 AND chat_id = $2").execute(Tuple.of(messageId, chatId))
              .compose(rs -> conn.preparedQuery("UPDATE chats SET current_leaf_id = $2, updated_at = clock_timestamp() WHERE id = $1")
                  .execute(Tuple.of(chatId, leaf)))
              .mapEmpty();
        })));
  }

  // ---- shared ----

  /** Locks the user's chat row for the transaction and returns its current leaf; 404 when not the user's. */
  static Future<UUID> lockChat(SqlConnection conn, UUID userId, UUID chatId) {
    return conn.preparedQuery("SELECT current_leaf_id FROM chats WHERE id = $1 AND user_id = $2 FOR UPDATE")
        .execute(Tuple.of(chatId, userId))
        .compose(rs -> rs.size() == 0 ? Future.failedFuture(Refusal.notFound("chat"))
            : Future.succeededFuture(rs.iterator().next().getUUID(0)));
  }

  /** All messages of a chat in creation order. The caller has checked ownership. */
  static Future<List<Message>> messages(SqlClient client, UUID chatId) {
    return client.preparedQuery("SELECT " + Message.COLUMNS + " FROM messages WHERE chat_id = $1 ORDER BY created_at, seq")
        .execute(Tuple.of(chatId))
        .map(rs -> {
          List<Message> out = new ArrayList<>(rs.size());
          rs.forEach(r -> out.add(Message.of(r)));
          return out;
        });
  }

  static Future<JsonObject> require(Future<JsonObject> chat) {
    return chat.map(c -> {
      if (c == null) {
        throw Refusal.notFound("chat");
      }
      return c;
    });
  }

  static JsonObject chatJson(Row r) {
    UUID leaf = r.getUUID("current_leaf_id");
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("title", r.getString("title"))
        .put("systemMessage", r.getString("system_message"))
        .put("favorite", r.getBoolean("favorite"))
        .put("botId", r.getUUID("bot_id") == null ? null : r.getUUID("bot_id").toString())
        .put("personaId", r.getUUID("persona_id") == null ? null : r.getUUID("persona_id").toString())
        .put("personality", r.getString("personality"))
        .put("webSearch", r.getBoolean("web_search"))
        .put("currentLeafId", leaf == null ? null : leaf.toString())
        .put("createdAt", Rows.time(r, "created_at"))
        .put("updatedAt", Rows.time(r, "updated_at"));
  }
}
