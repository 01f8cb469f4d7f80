package io.chatserver.transfer;

import io.chatserver.errors.Refusal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checks of an imported chat, without a database: paths in errors, parents before children, no cycles. */
class ImportParsingTest {

  private static JsonObject msg(String id, String parent, String role) {
    return new JsonObject().put("id", id).put("parentId", parent).put("role", role).put("content", "text of " + id);
  }

  private static JsonObject chat(JsonObject... messages) {
    return new JsonObject().put("title", "t").put("messages", new JsonArray(List.of((Object[]) messages)));
  }

  @Test
  void childrenListedBeforeTheirParentsComeOutAfterThem() {
    ChatTransfer.ChatDoc doc = ChatTransfer.parseChat(chat(msg("c", "b", "user"), msg("b", "a", "assistant"), msg("a", null, "user"),
        msg("b2", "a", "assistant")), "chat", 1000);
    List<String> order = doc.messages().stream().map(m -> m.getString("id")).toList();
    assertEquals(4, order.size());
    for (JsonObject m : doc.messages()) {
      if (m.getString("parentId") != null) {
        assertTrue(order.indexOf(m.getString("parentId")) < order.indexOf(m.getString("id")), order.toString());
      }
    }
    assertEquals("a", order.get(0));
  }

  @Test
  void errorsNameThePathAndAre422() {
    Refusal unknownParent = assertThrows(Refusal.class,
        () -> ChatTransfer.parseChat(chat(msg("a", null, "user"), msg("b", "zzz", "assistant")), "chats[3]", 1000));
    assertEquals(Refusal.Kind.UNPROCESSABLE, unknownParent.kind(), "a 422 at the HTTP edge");
    assertEquals("chats[3].messages[1].parentId", unknownParent.field());
    assertEquals("chat.messages[1].id", assertThrows(Refusal.class,
        () -> ChatTransfer.parseChat(chat(msg("a", null, "user"), msg("a", null, "user")), "chat", 1000)).field());
    assertEquals("chat.messages[0].role", assertThrows(Refusal.class,
        () -> ChatTransfer.parseChat(chat(msg("a", null, "wizard")), "chat", 1000)).field());
    assertEquals("chat.messages[0].content", assertThrows(Refusal.class,
        () -> ChatTransfer.parseChat(chat(msg("a", null, "user").put("content", "x".repeat(11))), "chat", 10)).field());
    assertEquals("chat.messages[0].status", assertThrows(Refusal.class,
        () -> ChatTransfer.parseChat(chat(msg("a", null, "user").put("status", "thinking")), "chat", 1000)).field());
    assertEquals("chat.currentLeafId", assertThrows(Refusal.class,
        () -> ChatTransfer.parseChat(chat(msg("a", null, "user")).put("currentLeafId", "nope"), "chat", 1000)).field());
  }

  @Test
  void aCycleOfParentsIsRefused() {
    Refusal e = assertThrows(Refusal.class,
        () -> ChatTransfer.parseChat(chat(msg("a", "b", "user"), msg("b", "a", "assistant")), "chat", 1000));
    assertEquals("chat.messages", e.field());
  }
}
