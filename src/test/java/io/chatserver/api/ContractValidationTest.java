package io.chatserver.api;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Request bodies are checked against openapi.yaml itself: the document and the checks cannot drift. */
class ContractValidationTest extends ServerTestBase {

  @Test
  void aBodyThatBreaksTheContractIsA400FromTheContract() {
    Api.User u = api.register("contract");
    String chat = api.as(u).newChat("c");
    Api.Resp wrongType = api.as(u).patch("/api/chats/" + chat, new JsonObject().put("favorite", "yes"));
    assertEquals(400, wrongType.status());
    assertEquals("favorite", wrongType.errorField());
    assertTrue(wrongType.json().getJsonObject("error").getString("message").startsWith("favorite: instance type"),
        "the contract's check answered: " + wrongType.body());
    Api.Resp nested = api.as(u).post("/api/chat", new JsonObject().put("messages", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("role", "user").put("content", 5))));
    assertEquals(400, nested.status());
    assertEquals("messages[0].content", nested.errorField());
  }

  @Test
  void nullableFieldsAcceptNullAndDocumentsAre422() {
    Api.User u = api.register("nullable");
    String chat = api.as(u).newChat("c");
    JsonObject patched = api.as(u).patch("/api/chats/" + chat, new JsonObject().putNull("systemMessage")).expect(200).json();
    assertNull(patched.getString("systemMessage"));
    Api.Resp badImport = api.as(u).post("/api/import", new JsonObject().put("format", 7).put("version", 1));
    assertEquals(422, badImport.status(), badImport.body());
    assertEquals("format", badImport.errorField());
  }

  @Test
  void anEmptyBodyIsLeftToTheRoute() {
    Api.User u = api.register("nobody");
    assertEquals(204, api.as(u).post("/api/auth/logout", null).status(), "logout with the Bearer token needs no body");
    Api.Resp noBody = api.post("/api/auth/login", null);
    assertEquals(400, noBody.status(), noBody.body());
  }

  @Test
  void pointersBecomeFieldNames() {
    assertEquals("messages[0].role", ContractValidation.field("/messages/0/role"));
    assertEquals("a/b", ContractValidation.field("/a~1b"));
    assertNull(ContractValidation.field(""));
  }
}
