package io.chatserver.chat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A chat's messages as a tree, built from its rows in creation order. Answers the branch
 * questions: siblings, the path from the root to a message, and the newest leaf below one.
 */
public final class MessageTree {

  private final Map<UUID, Message> byId = new LinkedHashMap<>();
  private final Map<UUID, List<Message>> children = new HashMap<>();
  private final List<Message> roots = new ArrayList<>();

  /** {@code messages} must be in creation order (oldest first). */
  public MessageTree(List<Message> messages) {
    for (Message m : messages) {
      byId.put(m.id(), m);
      if (m.parentId() == null) {
        roots.add(m);
      } else {
        children.computeIfAbsent(m.parentId(), k -> new ArrayList<>()).add(m);
      }
    }
  }

  public boolean isEmpty() {
    return byId.isEmpty();
  }

  public Message get(UUID id) {
    return byId.get(id);
  }

  public List<Message> all() {
    return new ArrayList<>(byId.values());
  }

  public List<Message> children(UUID id) {
    return children.getOrDefault(id, List.of());
  }

  /** Messages sharing this one's parent (itself included), oldest first. */
  public List<Message> siblings(Message m) {
    return m.parentId() == null ? roots : children(m.parentId());
  }

  /** Follows the newest child from {@code start} down to a leaf. */
  public Message newestLeafBelow(Message start) {
    Message m = start;
    List<Message> kids;
    while (!(kids = children(m.id())).isEmpty()) {
      m = kids.get(kids.size() - 1);
    }
    return m;
  }

  /** The newest leaf of the whole tree (the newest root's newest descendants), or null when empty. */
  public Message newestLeaf() {
    return roots.isEmpty() ? null : newestLeafBelow(roots.get(roots.size() - 1));
  }

  /** Root to {@code m}, inclusive. */
  public List<Message> pathTo(Message m) {
    List<Message> up = new ArrayList<>();
    for (Message x = m; x != null; x = x.parentId() == null ? null : byId.get(x.parentId())) {
      up.add(0, x);
    }
    return up;
  }

  /** Root to {@code through}, then on to the newest leaf below it. */
  public List<Message> branch(Message through) {
    List<Message> up = new ArrayList<>();
    for (Message m = through; m != null; m = m.parentId() == null ? null : byId.get(m.parentId())) {
      up.add(0, m);
    }
    Message m = through;
    List<Message> kids;
    while (!(kids = children(m.id())).isEmpty()) {
      m = kids.get(kids.size() - 1);
      up.add(m);
    }
    return up;
  }

  /** A branch as JSON: each message with its siblings' ids and its place among them, for branch switchers. */
  public JsonArray branchJson(List<Message> branch) {
    JsonArray out = new JsonArray();
    for (Message m : branch) {
      List<Message> sib = siblings(m);
      JsonArray ids = new JsonArray();
      sib.forEach(s -> ids.add(s.id().toString()));
      JsonObject json = m.toJson().put("siblingIds", ids).put("siblingIndex", sib.indexOf(m));
      out.add(json);
    }
    return out;
  }

  /** Every id in the subtree rooted at {@code id}, itself included. */
  public List<UUID> subtree(UUID id) {
    List<UUID> out = new ArrayList<>();
    List<UUID> todo = new ArrayList<>(List.of(id));
    while (!todo.isEmpty()) {
      UUID cur = todo.remove(todo.size() - 1);
      out.add(cur);
      children(cur).forEach(c -> todo.add(c.id()));
    }
    return out;
  }
}
