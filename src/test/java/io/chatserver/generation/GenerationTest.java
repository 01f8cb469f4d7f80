package io.chatserver.generation;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.SseClient;
import io.chatserver.SseClient.Event;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generation end to end over HTTP and SSE, with the real worker and the real weights. */
class GenerationTest extends ServerTestBase {

  static final String REFERENCE_TAIL = ", there was a little girl named Lily. She loved to play outside in the park. "
      + "One day, she saw a big, red ball. She wanted to play with it, but it was too high";

  @Override
  protected boolean models() {
    return true;
  }

  private static JsonObject greedy(int n) {
    return new JsonObject().put("temperature", 0).put("max_tokens", n);
  }

  private List<Event> readAll(Api.User u, String jobId, String lastEventId) throws Exception {
    return SseClient.read(server.port(), "/api/jobs/" + jobId + "/stream", u.token(), lastEventId, e -> e.name().equals("done"));
  }

  @Test
  void chatAnswerStreamsOverSseAndTheSavedTextIsTheStreamedText() throws Exception {
    Api.User u = api.register("gen");
    Api me = api.as(u);
    String chat = me.newChat("stories");
    JsonObject started = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("role", "user")
        .put("content", "Tell me a story about a dog.").put("generate", true).put("options", greedy(40))).expect(201).json();
    String jobId = started.getString("jobId");
    String assistantId = started.getString("assistantMessageId");
    assertEquals("stories260k", started.getString("model"));
    assertEquals("user", started.getJsonObject("message").getString("role"));

    List<Event> events = readAll(u, jobId, null);
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).id(), "event ids are gapless sequence numbers");
    }
    Event done = events.get(events.size() - 1);
    assertEquals("done", done.name());
    String streamed = SseClient.text(events);
    assertFalse(streamed.isEmpty());
    assertEquals(streamed, done.data().getString("text"));

    JsonObject saved = me.get("/api/chats/" + chat + "/messages/" + assistantId).expect(200).json();
    assertEquals(streamed, saved.getString("content"), "what was saved is exactly what was streamed");
    assertEquals("done", saved.getString("status"));
    assertEquals("stories260k", saved.getString("model"));
    assertTrue(saved.getJsonObject("usage").getInteger("completionTokens") > 0);
    assertEquals(started.getJsonObject("message").getString("id"), saved.getString("parentId"));
    assertEquals(assistantId, me.get("/api/chats/" + chat).json().getString("currentLeafId"));

    // resume after the end, from the third event: no gap, no duplicate
    List<Event> rest = readAll(u, jobId, "3");
    assertEquals(4, rest.get(0).id());
    assertEquals(streamed, SseClient.text(events.subList(0, 3)) + SseClient.text(rest));
    List<Event> viaQuery = SseClient.read(server.port(), "/api/jobs/" + jobId + "/stream?from=3", u.token(), null,
        e -> e.name().equals("done"));
    assertEquals(rest.size(), viaQuery.size());

    JsonObject usage = me.get("/api/users/me/usage").expect(200).json();
    assertTrue(usage.getJsonObject("totals").getLong("completionTokens") > 0, usage.encode());
    assertEquals("stories260k", usage.getJsonArray("items").getJsonObject(0).getString("model"));
  }

  private io.chatserver.inference.HeldSteps scheduler() {
    return io.chatserver.inference.HeldSteps.of(server.inference().scheduler("stories260k"));
  }

  @org.junit.jupiter.api.AfterEach
  void resumeScheduler() {
    scheduler().resume();
  }

  @Test
  void stopAllStopsEveryRunningAnswerOfTheCallerOnly() throws Exception {
    Api.User u = api.register("stopall");
    Api me = api.as(u);
    String chat = me.newChat("story");
    scheduler().hold();
    JsonObject started = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Once upon a time")
        .put("generate", true).put("options", new JsonObject().put("max_tokens", 300))).expect(201).json();
    // someone else's request stops nothing of this user
    assertEquals(new JsonArray(), api.as(api.register("bystander")).post("/api/jobs/stop-all", new JsonObject()).expect(200).json()
        .getJsonArray("stopped"));
    JsonObject r = me.post("/api/jobs/stop-all", new JsonObject()).expect(200).json();
    assertEquals(new JsonArray().add(started.getString("jobId")), r.getJsonArray("stopped"));
    List<Event> events = SseClient.read(server.port(), "/api/jobs/" + started.getString("jobId") + "/stream", u.token(), null,
        e -> e.name().equals("done"));
    assertEquals("stopped", events.get(events.size() - 1).data().getString("status"));
  }

  @Test
  void stopMidStreamKeepsWhatWasStreamed() throws Exception {
    Api.User u = api.register("stopper");
    Api me = api.as(u);
    String chat = me.newChat("long one");
    // held: the answer is still running when it is stopped, however fast the machine is
    scheduler().hold();
    scheduler().release(12);
    JsonObject started = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Once upon a time")
        .put("generate", true).put("options", new JsonObject().put("max_tokens", 450).put("seed", 3))).expect(201).json();
    String jobId = started.getString("jobId");
    List<Event> first = SseClient.read(server.port(), "/api/jobs/" + jobId + "/stream", u.token(), null, e -> e.id() >= 5);
    JsonObject result = me.post("/api/jobs/" + jobId + "/stop", new JsonObject()).expect(200).json();
    assertEquals("stopped", result.getString("status"));
    assertEquals("cancelled", result.getString("finishReason"));
    List<Event> all = readAll(u, jobId, null);
    String streamed = SseClient.text(all);
    assertTrue(streamed.startsWith(SseClient.text(first)));
    JsonObject saved = me.get("/api/chats/" + chat + "/messages/" + started.getString("assistantMessageId")).json();
    assertEquals("stopped", saved.getString("status"));
    assertEquals(streamed, saved.getString("content"));
    assertTrue(saved.getJsonObject("usage").getInteger("completionTokens") < 450);
  }

  @Test
  void aSecondConcurrentGenerationIs429AndLeavesNothingBehind() throws Exception {
    Api.User u = api.register("greedy");
    Api me = api.as(u);
    String chat = me.newChat("limits");
    scheduler().hold();
    JsonObject first = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Once")
        .put("generate", true).put("options", new JsonObject().put("max_tokens", 450).put("seed", 1))).expect(201).json();
    int before = me.get("/api/chats/" + chat).json().getJsonArray("messages").size();
    Api.Resp second = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "again")
        .put("generate", true));
    assertEquals(429, second.status(), second.body());
    assertEquals("too_many_generations", second.errorCode());
    assertTrue(second.json().getJsonObject("error").getString("message").contains(first.getString("jobId")));
    assertEquals(429, me.post("/api/generate", new JsonObject().put("prompt", "x").put("stream", false)).status());
    assertEquals(before, me.get("/api/chats/" + chat).json().getJsonArray("messages").size(), "no half-created message");
    me.post("/api/jobs/" + first.getString("jobId") + "/stop", new JsonObject()).expect(200);
    scheduler().resume();
    // once the first is over, the user may generate again
    me.post("/api/generate", new JsonObject().put("prompt", "The cat").put("stream", false).put("options", greedy(3)))
        .expect(200);
  }

  @Test
  void anotherUserCannotReadStreamOrStopAJob() throws Exception {
    Api.User alice = api.register("alicejob");
    Api.User bob = api.register("bobjob");
    String chat = api.as(alice).newChat("mine");
    String jobId = api.as(alice).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "hi")
        .put("generate", true).put("options", greedy(5))).expect(201).json().getString("jobId");
    assertEquals(404, api.as(bob).get("/api/jobs/" + jobId).status());
    assertEquals(404, api.as(bob).get("/api/jobs/" + jobId + "/stream").status());
    assertEquals(404, api.as(bob).post("/api/jobs/" + jobId + "/stop", new JsonObject()).status());
    assertEquals(404, api.as(bob).post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "x")
        .put("generate", true)).status());
    readAll(alice, jobId, null);
    assertEquals(200, api.as(alice).get("/api/jobs/" + jobId).status());
  }

  @Test
  void regenerateMakesASiblingAndContinueExtends() throws Exception {
    Api.User u = api.register("regen");
    Api me = api.as(u);
    String chat = me.newChat("branches");
    JsonObject first = me.post("/api/chats/" + chat + "/messages", new JsonObject().put("content", "Once upon a time")
        .put("generate", true).put("options", greedy(10))).expect(201).json();
    readAll(u, first.getString("jobId"), null);
    String a1 = first.getString("assistantMessageId");
    String userMsg = first.getJsonObject("message").getString("id");

    JsonObject again = me.post("/api/chats/" + chat + "/messages/" + a1 + "/regenerate",
        new JsonObject().put("options", new JsonObject().put("seed", 5).put("max_tokens", 10))).expect(201).json();
    readAll(u, again.getString("jobId"), null);
    JsonArray children = me.get("/api/chats/" + chat + "/messages/" + userMsg + "/children").json().getJsonArray("items");
    assertEquals(2, children.size(), "the old answer is kept beside the new one");
    assertEquals(again.getString("assistantMessageId"), me.get("/api/chats/" + chat).json().getString("currentLeafId"));

    String before = me.get("/api/chats/" + chat + "/messages/" + a1).json().getString("content");
    JsonObject cont = me.post("/api/chats/" + chat + "/messages/" + a1 + "/continue", new JsonObject()
        .put("options", greedy(10))).expect(200).json();
    assertEquals(a1, cont.getString("assistantMessageId"));
    List<Event> ev = readAll(u, cont.getString("jobId"), null);
    JsonObject after = me.get("/api/chats/" + chat + "/messages/" + a1).json();
    assertEquals(before + SseClient.text(ev), after.getString("content"));
    assertTrue(after.getString("content").length() > before.length());
    assertEquals("done", after.getString("status"));
    assertEquals(422, me.post("/api/chats/" + chat + "/messages/" + userMsg + "/continue", new JsonObject()).status());
  }

  @Test
  void rawGenerateReproducesTheReferenceAndRejectsFimWithoutTokens() throws Exception {
    Api.User u = api.register("raw");
    Api me = api.as(u);
    JsonObject r = me.post("/api/generate", new JsonObject().put("prompt", "Once upon a time").put("stream", false)
        .put("options", greedy(56))).expect(200).json();
    assertEquals(REFERENCE_TAIL, r.getString("response"));
    assertEquals("length", r.getString("finishReason"));
    assertEquals(56, r.getJsonObject("usage").getInteger("completionTokens"));

    Api.Resp fim = me.post("/api/generate", new JsonObject().put("prompt", "def f(").put("suffix", "return x").put("stream", false));
    assertEquals(400, fim.status(), fim.body());
    assertTrue(fim.json().getJsonObject("error").getString("message").contains("fill-in-the-middle"));

    assertEquals("options.top_p", me.post("/api/generate", new JsonObject().put("prompt", "x")
        .put("options", new JsonObject().put("top_p", 3))).expect(400).errorField());
    assertEquals("model", me.post("/api/generate", new JsonObject().put("prompt", "x").put("model", "nope")).expect(404)
        .errorField());
    Api.Resp tooLong = me.post("/api/generate", new JsonObject().put("prompt", "once upon a time ".repeat(300)).put("stream", false));
    assertEquals(400, tooLong.status());
    assertEquals("context_length_exceeded", tooLong.errorCode());
  }

  @Test
  void rawChatStreamsAndCanSaveIntoAChat() throws Exception {
    Api.User u = api.register("rawchat");
    Api me = api.as(u);
    String chat = me.newChat("saved by /api/chat");
    JsonObject r = me.post("/api/chat", new JsonObject().put("chatId", chat).put("stream", false).put("system", "Stories.")
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "A story please")))
        .put("options", greedy(12))).expect(200).json();
    String text = r.getJsonObject("message").getString("content");
    assertFalse(text.isEmpty());
    assertFalse(Character.isWhitespace(text.charAt(0)), "answers start without the space after 'Assistant:'");
    JsonArray msgs = me.get("/api/chats/" + chat).json().getJsonArray("messages");
    assertEquals(2, msgs.size());
    assertEquals(text, msgs.getJsonObject(1).getString("content"));

    assertEquals("messages[0].role", me.post("/api/chat", new JsonObject().put("messages", new JsonArray()
        .add(new JsonObject().put("role", "robot").put("content", "x")))).expect(400).errorField());
    assertNotEquals(0, me.get("/api/users/me/usage").json().getJsonArray("items").size());
  }
}
