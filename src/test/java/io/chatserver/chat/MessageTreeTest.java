package io.chatserver.chat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A chat tree in memory: paths, siblings, the newest leaf below a message, subtrees. */
class MessageTreeTest {

  private final List<Message> all = new ArrayList<>();
  private int clock;

  private Message add(Message parent, String role) {
    String at = String.format("2026-01-01T00:00:%02dZ", clock++);
    Message m = new Message(UUID.randomUUID(), parent == null ? null : parent.id(), role, role + clock, MessageStatus.DONE,
        null, null, null, null, at, at, null, null, null);
    all.add(m);
    return m;
  }

  @Test
  void branchesPathsAndLeaves() {
    Message q = add(null, "user");
    Message a1 = add(q, "assistant");
    Message q2 = add(a1, "user");
    Message a2 = add(q, "assistant");      // a regenerated answer: a sibling of a1
    Message q3 = add(a2, "user");
    Message a3 = add(q3, "assistant");
    MessageTree t = new MessageTree(all);

    assertEquals(List.of(a1, a2), t.siblings(a2));
    assertEquals(List.of(q, a2, q3, a3), t.pathTo(a3));
    assertEquals(List.of(q, a1, q2), t.pathTo(q2));
    assertEquals(a3, t.newestLeaf());
    assertEquals(q2, t.newestLeafBelow(a1), "switching to the first answer follows its own branch");
    assertEquals(a3, t.newestLeafBelow(q));
    assertEquals(List.of(q, a2, q3, a3), t.branch(a2));
    List<UUID> sub = t.subtree(a2.id());
    assertEquals(3, sub.size());
    assertTrue(sub.containsAll(List.of(a2.id(), q3.id(), a3.id())));
    assertEquals(List.of(a1, a2), t.children(q.id()));
  }
}
