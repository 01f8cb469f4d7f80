package io.chatserver.transfer;

import io.chatserver.errors.TextRules;
import io.chatserver.errors.Refusal;
import io.chatserver.bus.SamplingOptions;
import io.chatserver.chat.ChatRoutes;
import io.chatserver.chat.ChatStore;
import io.chatserver.chat.Message;
import io.chatserver.chat.MessageStatus;
import io.chatserver.chat.MessageTree;
import io.chatserver.persona.PersonaStore;
import io.chatserver.user.UserStore;
import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Export of one chat or all of a user's data as JSON (lossless: importing it back gives the same
 * trees, with new ids) or Markdown (the current branch, for reading), and import of that JSON.
 */
public final class ChatTransfer {

  public static final String CHAT_FORMAT = "chat-server.chat";
  public static final String USER_FORMAT = "chat-server.user-data";
  public static final int VERSION = 1;

  private final ChatStore chats;
  private final UserStore users;
  private final Pool pool;
  private final int maxContentChars;

  public ChatTransfer(ChatStore chats, UserStore users, int maxContentChars) {
    this.chats = chats;
    this.users = users;
    this.pool = chats.pool();
    this.maxContentChars = maxContentChars;
  }

  // ---- export ----

  /** One chat with its whole tree; 404 when not the user's. */
  public Future<JsonObject> exportChat(UUID userId, UUID chatId) {
    return chats.tree(userId, chatId).map(ct -> new JsonObject()
        .put("format", CHAT_FORMAT).put("version", VERSION).put("exportedAt", Instant.now().toString())
        .put("chat", chatDocument(ct)));
  }

  /** Profile, personas and every chat of the user. */
  public Future<JsonObject> exportAll(UUID userId) {
    return users.profile(userId).compose(user -> PersonaStore.all(pool, userId).compose(personas -> chats.chatIds(userId)
        .compose(ids -> {
          List<Future<JsonObject>> docs = new ArrayList<>();
          ids.forEach(id -> docs.add(chats.tree(userId, id).map(ChatTransfer::chatDocument)));
          return Future.all(docs).map(all -> {
            JsonArray chatArray = new JsonArray();
            docs.forEach(f -> chatArray.add(f.result()));
            JsonObject profile = user == null ? null : new JsonObject()
                .put("nickname", user.getString("nickname"))
                .put("systemPrompt", user.getString("systemPrompt"))
                .put("preferredModel", user.getString("preferredModel"))
                .put("settings", user.getValue("settings"));
            JsonArray personaArray = new JsonArray();
            for (Object p : personas) {
              JsonObject copy = ((JsonObject) p).copy();
              copy.remove("id");
              personaArray.add(copy);
            }
            return new JsonObject()
                .put("format", USER_FORMAT).put("version", VERSION).put("exportedAt", Instant.now().toString())
                .put("profile", profile).put("personas", personaArray).put("chats", chatArray);
          });
        })));
  }

  private static JsonObject chatDocument(ChatStore.ChatAndTree ct) {
    JsonArray messages = new JsonArray();
    ct.tree().all().forEach(m -> {
      JsonObject json = m.toJson();
      json.remove("jobId"); // a job id means nothing outside this server
      messages.add(json);
    });
    JsonObject chat = ct.chat();
    return new JsonObject()
        .put("title", chat.getString("title"))
        .put("systemMessage", chat.getString("systemMessage"))
        .put("favorite", chat.getBoolean("favorite"))
        .put("createdAt", chat.getString("createdAt"))
        .put("updatedAt", chat.getString("updatedAt"))
        .put("currentLeafId", chat.getString("currentLeafId"))
        .put("messages", messages);
  }

  /** The current branch of one chat as Markdown. */
  public Future<String> markdownChat(UUID userId, UUID chatId) {
    return chats.tree(userId, chatId).map(ChatTransfer::markdown);
  }

  /** Every chat of the user as Markdown, one after the other. */
  public Future<String> markdownAll(UUID userId) {
    return chats.chatIds(userId)
        .compose(ids -> {
          List<Future<String>> parts = new ArrayList<>();
          ids.forEach(id -> parts.add(markdownChat(userId, id)));
          return Future.all(parts).map(all -> {
            StringBuilder sb = new StringBuilder();
            for (Future<String> p : parts) {
              if (sb.length() > 0) {
                sb.append("\n---\n\n");
              }
              sb.append(p.result());
            }
            return sb.toString();
          });
        });
  }

  static String markdown(ChatStore.ChatAndTree ct) {
    JsonObject chat = ct.chat();
    MessageTree tree = ct.tree();
    StringBuilder sb = new StringBuilder("# ").append(chat.getString("title")).append("\n\n");
    sb.append("_Created ").append(chat.getString("createdAt")).append("_\n\n");
    if (chat.getString("systemMessage") != null && !chat.getString("systemMessage").isBlank()) {
      sb.append("> **System:** ").append(chat.getString("systemMessage").replace("\n", "\n> ")).append("\n\n");
    }
    UUID current = ct.currentLeafId();
    Message through = current != null && tree.get(current) != null ? tree.get(current) : tree.newestLeaf();
    if (through != null) {
      for (Message m : tree.branch(through)) {
        String who = Character.toUpperCase(m.role().charAt(0)) + m.role().substring(1);
        sb.append("### ").append(who);
        if (m.model() != null) {
          sb.append(" (").append(m.model()).append(')');
        }
        if (m.status() != MessageStatus.DONE) {
          sb.append(" [").append(m.status()).append(']');
        }
        sb.append("\n\n").append(m.content()).append("\n\n");
      }
    }
    return sb.toString();
  }

  // ---- import ----

  /**
   * Imports a chat export or a full user export into the caller's account. Everything is checked
   * before anything is written, and written in one transaction: a bad document changes nothing.
   * Returns the new chats' ids and titles.
   */
  public Future<JsonObject> importDocument(UUID userId, JsonObject doc) {
    String format = doc.getValue("format") instanceof String s ? s : null;
    if (!Integer.valueOf(VERSION).equals(doc.getValue("version"))) {
      throw Refusal.unprocessable("unsupported export version (expected " + VERSION + ")", "version");
    }
    List<ChatDoc> chatDocs = new ArrayList<>();
    List<JsonObject> personas = new ArrayList<>();
    JsonObject profile = null;
    if (CHAT_FORMAT.equals(format)) {
      chatDocs.add(parseChat(object(doc.getValue("chat"), "chat"), "chat", maxContentChars));
    } else if (USER_FORMAT.equals(format)) {
      JsonArray list = array(doc.getValue("chats"), "chats");
      for (int i = 0; i < list.size(); i++) {
        chatDocs.add(parseChat(object(list.getValue(i), "chats[" + i + "]"), "chats[" + i + "]", maxContentChars));
      }
      JsonArray ps = doc.getValue("personas") == null ? new JsonArray() : array(doc.getValue("personas"), "personas");
      for (int i = 0; i < ps.size(); i++) {
        String at = "personas[" + i + "]";
        JsonObject p = object(ps.getValue(i), at);
        string(p, "name", at, 1, 100, true);
        string(p, "content", at, 1, 20_000, true);
        time(p, "createdAt", at);
        time(p, "updatedAt", at);
        personas.add(p);
      }
      if (doc.getValue("profile") != null) {
        profile = object(doc.getValue("profile"), "profile");
        string(profile, "nickname", "profile", 1, 50, false);
        string(profile, "systemPrompt", "profile", 0, 20_000, false);
        string(profile, "preferredModel", "profile", 1, 200, false);
        if (profile.getValue("settings") != null) {
          try {
            profile.put("settings", SamplingOptions.validate(object(profile.getValue("settings"), "profile.settings"), "profile.settings"));
          } catch (io.chatserver.bus.InvalidField e) {
            throw Refusal.unprocessable(e.getMessage(), e.field());
          }
        }
      }
    } else {
      throw Refusal.unprocessable("format must be '" + CHAT_FORMAT + "' or '" + USER_FORMAT + "'", "format");
    }
    JsonObject prof = profile;
    return pool.withTransaction(conn -> {
      Future<Void> chain = Future.succeededFuture();
      JsonArray created = new JsonArray();
      for (ChatDoc c : chatDocs) {
        chain = chain.compose(v -> insert(conn, userId, c).map(json -> {
          created.add(new JsonObject().put("id", json.getString("id")).put("title", json.getString("title")));
          return null;
        }));
      }
      for (JsonObject p : personas) {
        chain = chain.compose(v -> PersonaStore.insert(conn, userId, p.getString("name"), p.getString("content"),
            Rows.parseTime(p.getString("createdAt")), Rows.parseTime(p.getString("updatedAt"))).mapEmpty());
      }
      if (prof != null) {
        chain = chain.compose(v -> UserStore.mergeImported(conn, userId, prof.getString("nickname"), prof.getString("systemPrompt"),
            prof.getString("preferredModel"), prof.getJsonObject("settings")));
      }
      return chain.map(v -> new JsonObject().put("chats", created).put("personas", personas.size())
          .put("profile", prof != null));
    });
  }

  /** A validated chat of an import document, messages in an order where parents come first. */
  record ChatDoc(JsonObject chat, List<JsonObject> messages) {}

  /** Checks one chat of an import document (422 naming the path) and orders its messages parents first. */
  static ChatDoc parseChat(JsonObject chat, String at, int maxContentChars) {
    string(chat, "title", at, 1, ChatRoutes.TITLE_MAX, true);
    string(chat, "systemMessage", at, 0, ChatRoutes.SYSTEM_MESSAGE_MAX, false);
    if (chat.getValue("favorite") != null && !(chat.getValue("favorite") instanceof Boolean)) {
      throw bad(at + ".favorite", "favorite must be true or false");
    }
    time(chat, "createdAt", at);
    time(chat, "updatedAt", at);
    JsonArray msgs = chat.getValue("messages") == null ? new JsonArray() : array(chat.getValue("messages"), at + ".messages");
    Map<String, JsonObject> byId = new HashMap<>();
    List<JsonObject> inOrder = new ArrayList<>();
    for (int i = 0; i < msgs.size(); i++) {
      String mat = at + ".messages[" + i + "]";
      JsonObject m = object(msgs.getValue(i), mat);
      String id = string(m, "id", mat, 1, 100, true);
      if (byId.put(id, m) != null) {
        throw bad(mat + ".id", "duplicate message id " + id);
      }
      string(m, "parentId", mat, 1, 100, false);
      if (!(m.getValue("role") instanceof String r) || !Message.ROLES.contains(r)) {
        throw bad(mat + ".role", "role must be one of " + Message.ROLES);
      }
      string(m, "content", mat, 0, maxContentChars, true);
      if (m.getValue("status") != null && (!(m.getValue("status") instanceof String s) || MessageStatus.parse(s) == null)) {
        throw bad(mat + ".status", "status must be one of " + java.util.Arrays.toString(MessageStatus.values()));
      }
      string(m, "model", mat, 0, 200, false);
      if (m.getValue("usage") != null && !(m.getValue("usage") instanceof JsonObject)) {
        throw bad(mat + ".usage", "usage must be an object");
      }
      Object rating = m.getValue("rating");
      if (rating != null && !(rating instanceof Integer ri && ri >= -1 && ri <= 1)) {
        throw bad(mat + ".rating", "rating must be 1, 0, -1 or null");
      }
      string(m, "ratingComment", mat, 0, 2000, false);
      string(m, "reasoning", mat, 0, maxContentChars, false);
      string(m, "toolCallId", mat, 1, 1000, false);
      string(m, "name", mat, 1, 1000, false);
      if (m.getValue("toolCalls") != null && !(m.getValue("toolCalls") instanceof JsonArray calls && calls.size() <= 128
          && calls.stream().allMatch(c -> c instanceof JsonObject call && call.getValue("function") instanceof JsonObject f
              && f.getValue("name") instanceof String && (f.getValue("arguments") == null || f.getValue("arguments") instanceof String)))) {
        throw bad(mat + ".toolCalls", "toolCalls must be an array of {id, type, function: {name, arguments}}");
      }
      time(m, "createdAt", mat);
      time(m, "updatedAt", mat);
      inOrder.add(m);
    }
    for (int i = 0; i < inOrder.size(); i++) {
      String parent = inOrder.get(i).getString("parentId");
      if (parent != null && !byId.containsKey(parent)) {
        throw bad(at + ".messages[" + i + "].parentId", "parentId " + parent + " is not a message of this chat");
      }
    }
    String leaf = string(chat, "currentLeafId", at, 1, 100, false);
    if (leaf != null && !byId.containsKey(leaf)) {
      throw bad(at + ".currentLeafId", "currentLeafId is not a message of this chat");
    }
    // Parents before children, otherwise the document's order: a stable topological order.
    List<JsonObject> ordered = new ArrayList<>();
    Set<String> placed = new HashSet<>();
    List<JsonObject> pending = inOrder;
    while (!pending.isEmpty()) {
      List<JsonObject> next = new ArrayList<>();
      for (JsonObject m : pending) {
        String parent = m.getString("parentId");
        if (parent == null || placed.contains(parent)) {
          ordered.add(m);
          placed.add(m.getString("id"));
        } else {
          next.add(m);
        }
      }
      if (next.size() == pending.size()) {
        throw bad(at + ".messages", "the messages' parentIds form a cycle");
      }
      pending = next;
    }
    return new ChatDoc(chat, ordered);
  }

  private Future<JsonObject> insert(SqlConnection conn, UUID userId, ChatDoc doc) {
    JsonObject c = doc.chat();
    return ChatStore.insertChat(conn, userId, c.getString("title"), c.getString("systemMessage"),
            Boolean.TRUE.equals(c.getBoolean("favorite")), Rows.parseTime(c.getString("createdAt")), Rows.parseTime(c.getString("updatedAt")))
        .compose(chat -> {
          Map<String, UUID> ids = new HashMap<>();
          List<ChatStore.ImportedMessage> messages = new ArrayList<>();
          for (JsonObject m : doc.messages()) {
            UUID id = UUID.randomUUID();
            ids.put(m.getString("id"), id);
            messages.add(new ChatStore.ImportedMessage(id, m.getString("parentId") == null ? null : ids.get(m.getString("parentId")),
                m.getString("role"), m.getString("content"), MessageStatus.parse(m.getString("status", "done")), m.getString("model"),
                m.getJsonObject("usage"), m.getInteger("rating"), m.getString("ratingComment"),
                Rows.parseTime(m.getString("createdAt")), Rows.parseTime(m.getString("updatedAt")), extra(m)));
          }
          String leaf = c.getString("currentLeafId");
          return ChatStore.insertImported(conn, UUID.fromString(chat.getString("id")), messages, leaf == null ? null : ids.get(leaf))
              .map(v -> chat);
        });
  }

  /** What a message carries beside its text (reasoning, tool calls, a tool result's call id and name), or null. */
  private static JsonObject extra(JsonObject m) {
    JsonObject extra = new JsonObject();
    for (String key : new String[] {"reasoning", "toolCalls", "toolCallId", "name"}) {
      if (m.getValue(key) != null) {
        extra.put(key, m.getValue(key));
      }
    }
    return extra.isEmpty() ? null : extra;
  }

  // ---- document checks (422 naming the path) ----

  private static Refusal bad(String field, String message) {
    return Refusal.unprocessable(field + ": " + message, field);
  }

  private static JsonObject object(Object v, String at) {
    if (!(v instanceof JsonObject o)) {
      throw bad(at, "must be an object");
    }
    return o;
  }

  private static JsonArray array(Object v, String at) {
    if (!(v instanceof JsonArray a)) {
      throw bad(at, "must be an array");
    }
    return a;
  }

  private static String string(JsonObject o, String key, String at, int min, int max, boolean required) {
    Object v = o.getValue(key);
    if (v == null) {
      if (required) {
        throw bad(at + "." + key, key + " is required");
      }
      return null;
    }
    if (!(v instanceof String s)) {
      throw bad(at + "." + key, key + " must be a string");
    }
    String problem = TextRules.problem(key, s, min, max); // the API's own rules for text
    if (problem != null) {
      throw bad(at + "." + key, problem);
    }
    return s;
  }

  private static void time(JsonObject o, String key, String at) {
    Object v = o.getValue(key);
    if (v == null) {
      return;
    }
    try {
      OffsetDateTime.parse((String) v);
    } catch (ClassCastException | DateTimeParseException e) {
      throw bad(at + "." + key, key + " must be an ISO-8601 timestamp with offset");
    }
  }
}
