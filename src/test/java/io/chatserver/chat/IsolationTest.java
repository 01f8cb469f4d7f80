package io.chatserver.chat;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One user can never see or touch another's data. Every route of the router that takes a chat,
 * message or persona id is called by user B with user A's ids: each must answer 404 (never 403,
 * never data), and A's data must be unchanged afterwards.
 */
class IsolationTest extends ServerTestBase {

  /** A valid body for each route that takes one, so only ownership can make it fail. */
  private static final Map<String, JsonObject> BODIES = Map.ofEntries(
      Map.entry("PATCH /api/chats/:chatId", new JsonObject().put("title", "pwned")),
      Map.entry("POST /api/chats/:chatId/messages", new JsonObject().put("role", "user").put("content", "pwned")),
      Map.entry("PATCH /api/chats/:chatId/messages/:messageId", new JsonObject().put("content", "pwned")),
      Map.entry("POST /api/chats/:chatId/messages/:messageId/rating", new JsonObject().put("value", -1)),
      Map.entry("PUT /api/personas/:personaId", new JsonObject().put("name", "pwned")),
      Map.entry("POST /api/chats/:chatId/messages/:messageId/regenerate", new JsonObject()),
      Map.entry("POST /api/chats/:chatId/messages/:messageId/continue", new JsonObject()),
      Map.entry("POST /api/chats/:chatId/share", new JsonObject()),
      Map.entry("POST /api/chats/:chatId/feedback", new JsonObject().put("rating", -1)),
      Map.entry("POST /api/chats/:chatId/tickets", new JsonObject().put("subject", "pwned").put("description", "pwned")),
      Map.entry("POST /api/tickets/:ticketId/replies", new JsonObject().put("body", "pwned")),
      Map.entry("POST /api/chats/:chatId/files", new JsonObject().put("a", "valid JSON is a valid text file")));
  /** Query strings a route needs besides its body. */
  private static final Map<String, String> QUERIES = Map.of("POST /api/chats/:chatId/files", "?name=pwned.json");

  private Api alice;
  private Api bob;
  private String chatA;
  private String msgA;
  private String personaA;
  private String keyA;
  private String ticketA;
  private String fileA;

  @BeforeAll
  void aliceHasData() {
    // The first user is admin; make both test users ordinary users.
    api.register("admin");
    alice = api.as(api.register("alice"));
    bob = api.as(api.register("bob"));
    chatA = alice.newChat("Alice's secret plans");
    msgA = alice.addMessage(chatA, null, "user", "the treasure is under the oak");
    alice.addMessage(chatA, null, "assistant", "noted");
    personaA = alice.post("/api/personas", new JsonObject().put("name", "Alice's persona").put("content", "secret"))
        .expect(201).json().getString("id");
    keyA = alice.post("/api/users/me/keys", new JsonObject().put("name", "alice's key")).expect(201).json().getString("id");
    ticketA = alice.post("/api/chats/" + chatA + "/tickets", new JsonObject().put("subject", "Alice's ticket")
        .put("description", "about the treasure")).expect(201).json().getString("id");
    alice.post("/api/chats/" + chatA + "/share", new JsonObject()).expect(201);
    alice.post("/api/chats/" + chatA + "/feedback", new JsonObject().put("rating", 1)).expect(200);
    fileA = alice.send(HttpMethod.POST, "/api/chats/" + chatA + "/files?name=treasure.txt",
        io.vertx.core.buffer.Buffer.buffer("the treasure is under the oak"), "text/plain").expect(201).json().getString("id");
  }

  @Test
  void everyRouteWithAnotherUsersIdsIs404AndChangesNothing() {
    String before = snapshot();
    List<String> checked = new ArrayList<>();
    for (String route : server.routes()) {
      if (!route.contains(":chatId") && !route.contains(":messageId") && !route.contains(":personaId")
          && !route.contains(":keyId") && !route.contains(":ticketId") && !route.contains(":fileId") || route.contains(" /api/admin/")) {
        continue; // (admin routes answer 403 to users: below)
      }
      String method = route.substring(0, route.indexOf(' '));
      String path = route.substring(route.indexOf(' ') + 1)
          .replace(":chatId", chatA).replace(":messageId", msgA).replace(":personaId", personaA)
          .replace(":keyId", keyA).replace(":ticketId", ticketA).replace(":fileId", fileA).replace(":name", "treasure.txt")
          + QUERIES.getOrDefault(route, "");
      JsonObject body = BODIES.get(route);
      if ((method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) && body == null) {
        throw new AssertionError("IsolationTest.BODIES needs a valid body for " + route);
      }
      Api.Resp r = bob.send(HttpMethod.valueOf(method), path, body, body == null ? null : "application/json");
      assertEquals(404, r.status(), route + " as another user: " + r.body());
      assertFalse(r.body().contains("treasure") || r.body().contains("secret plans"), route + " leaked data");
      checked.add(route);
    }
    assertTrue(checked.size() >= 30, "expected every id-taking route to be checked, got " + checked);
    assertEquals(before, snapshot(), "another user's requests changed Alice's data");
  }

  @Test
  void everyAdminRouteIs403ForAUserWhateverTheBody() {
    List<String> checked = new ArrayList<>();
    for (String route : server.routes()) {
      String method = route.substring(0, route.indexOf(' '));
      String path = route.substring(route.indexOf(' ') + 1);
      if (!path.startsWith("/api/admin/") && !path.equals("/api/system/status") || method.equals("GET") && path.equals("/api/system/status")) {
        continue;
      }
      String concrete = path.replaceAll(":[A-Za-z]+", java.util.UUID.randomUUID().toString());
      boolean hasBody = method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
      Api.Resp r = bob.send(HttpMethod.valueOf(method), concrete, hasBody ? new JsonObject() : null, hasBody ? "application/json" : null);
      assertEquals(403, r.status(), route + " as a user: " + r.body());
      checked.add(route);
    }
    assertTrue(checked.size() >= 20, "expected every admin route to be checked, got " + checked);
  }

  @Test
  void bobCannotReachAliceThroughHisOwnChat() {
    String chatB = bob.newChat("Bob's chat");
    // Alice's message as the parent of Bob's message, as a branch leaf, as the current leaf
    assertEquals(404, bob.post("/api/chats/" + chatB + "/messages", new JsonObject().put("parentId", msgA)
        .put("role", "user").put("content", "x")).status());
    assertEquals(404, bob.get("/api/chats/" + chatB + "/messages/" + msgA).status());
    assertEquals(404, bob.get("/api/chats/" + chatB + "/branch?leaf=" + msgA).status());
    assertEquals(404, bob.patch("/api/chats/" + chatB, new JsonObject().put("currentLeafId", msgA)).status());
    assertEquals(404, bob.post("/api/chats", new JsonObject().put("personaId", personaA)).status());
    assertEquals(0, bob.get("/api/chats/" + chatB).json().getJsonArray("messages").size());
  }

  @Test
  void listsSearchesCountsAndExportsShowOnlyYourOwn() {
    String before = snapshot();
    assertFalse(bob.get("/api/chats").body().contains(chatA));
    assertEquals(0, bob.get("/api/chats?q=treasure").items().size());
    assertEquals(1, alice.get("/api/chats?q=treasure").items().size());
    assertEquals(0, bob.get("/api/personas/count").json().getLong("count"));
    assertFalse(bob.get("/api/personas").body().contains(personaA));
    String export = bob.get("/api/export").expect(200).body();
    assertFalse(export.contains("treasure") || export.contains("Alice"));
    assertFalse(bob.get("/api/export?format=markdown").expect(200).body().contains("treasure"));
    bob.delete("/api/chats?keepFavorites=false").expect(200);
    assertEquals(before, snapshot());
  }

  private String snapshot() {
    return alice.get("/api/chats/" + chatA).expect(200).body() + alice.get("/api/personas/" + personaA).expect(200).body()
        + alice.get("/api/users/me/keys").expect(200).json().getJsonArray("items").size()
        + alice.get("/api/tickets/" + ticketA).expect(200).body() + alice.get("/api/chats/" + chatA + "/share").expect(200).body()
        + alice.get("/api/chats/" + chatA + "/feedback").expect(200).body()
        + alice.get("/api/chats/" + chatA + "/files").expect(200).body();
  }
}
