package io.chatserver;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A blocking test client over Vert.x's WebClient: real HTTP to the server under test, one call per
 * line of test code. {@link #as} gives a copy that sends a user's token.
 */
public final class Api {

  /** One response: status, headers and body. */
  public record Resp(int status, Map<String, String> headers, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public JsonArray items() {
      return json().getJsonArray("items");
    }

    public String errorCode() {
      return json().getJsonObject("error").getString("code");
    }

    public String errorField() {
      return json().getJsonObject("error").getString("field");
    }

    public Resp expect(int expected) {
      assertEquals(expected, status, () -> "unexpected status; body: " + body);
      return this;
    }
  }

  /** A registered user and their tokens. */
  public record User(String username, String password, UUID id, String token, String refreshToken) {}

  private final WebClient client;
  private final String token;

  private Api(WebClient client, String token) {
    this.client = client;
    this.token = token;
  }

  public static Api connect(Vertx vertx, int port) {
    return new Api(WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)), null);
  }

  public Api as(User user) {
    return new Api(client, user.token());
  }

  public Api withToken(String bearer) {
    return new Api(client, bearer);
  }

  public Resp get(String path) {
    return send(HttpMethod.GET, path, null, null);
  }

  public Resp delete(String path) {
    return send(HttpMethod.DELETE, path, null, null);
  }

  public Resp post(String path, Object json) {
    return send(HttpMethod.POST, path, json, "application/json");
  }

  public Resp put(String path, Object json) {
    return send(HttpMethod.PUT, path, json, "application/json");
  }

  public Resp patch(String path, Object json) {
    return send(HttpMethod.PATCH, path, json, "application/json");
  }

  /** Sends {@code body} as is: a JsonObject is encoded, a String is sent raw (for malformed input). */
  public Resp send(HttpMethod method, String path, Object body, String contentType) {
    return send(method, path, body, contentType, null);
  }

  /** As above, with an Accept header. */
  public Resp send(HttpMethod method, String path, Object body, String contentType, String accept) {
    HttpRequest<Buffer> req = client.request(method, path);
    if (accept != null) {
      req.putHeader("Accept", accept);
    }
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      req.putHeader("Content-Type", contentType);
    }
    var future = body == null ? req.send()
        : req.sendBuffer(body instanceof Buffer b ? b : Buffer.buffer(body instanceof JsonObject o ? o.encode() : body.toString()));
    HttpResponse<Buffer> r = future.await();
    Map<String, String> headers = new java.util.HashMap<>();
    r.headers().forEach(e -> headers.put(e.getKey().toLowerCase(), e.getValue()));
    return new Resp(r.statusCode(), headers, r.bodyAsString() == null ? "" : r.bodyAsString());
  }

  /** Registers a user with a unique name and returns it logged in. */
  public User register(String prefix) {
    String name = prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
    String pw = "secret-" + name;
    JsonObject r = post("/api/auth/register", new JsonObject().put("username", name).put("password", pw)).expect(201).json();
    assertNotNull(r.getString("token"));
    return new User(name, pw, UUID.fromString(r.getString("userId")), r.getString("token"), r.getString("refreshToken"));
  }

  /** Creates a chat as this client's user; returns its id. */
  public String newChat(String title) {
    return post("/api/chats", new JsonObject().put("title", title)).expect(201).json().getString("id");
  }

  /** Adds a message; {@code parentId} null means "under the current leaf". Returns its id. */
  public String addMessage(String chatId, String parentId, String role, String content) {
    JsonObject body = new JsonObject().put("role", role).put("content", content);
    if (parentId != null) {
      body.put("parentId", parentId);
    }
    return post("/api/chats/" + chatId + "/messages", body).expect(201).json().getString("id");
  }

  /** The session id ({@code sid}) inside an access token. */
  public static String sessionOf(String jwt) {
    String payload = new String(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
    String sid = new JsonObject(payload).getString("sid");
    if (sid == null || sid.isEmpty()) {
      throw new AssertionError("the token names no session: " + payload);
    }
    return sid;
  }
}
