package io.chatserver.bridge;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Cors;
import io.chatserver.api.ErrorHandler;
import io.chatserver.api.Ids;
import io.chatserver.auth.AuthHandler;
import io.chatserver.api.Caller;
import io.chatserver.bus.Addresses;
import io.chatserver.generation.ChatAnswers;
import io.chatserver.generation.GenerationService;
import io.chatserver.generation.JobListener;
import io.chatserver.generation.JobRef;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;

import java.util.UUID;

/**
 * The browsers' way in: a SockJS event bus bridge at {@code /eventbus}. The JWT (query
 * {@code ?token=} or Authorization header) is checked before the SockJS handshake. Inbound, only
 * {@link Addresses#CHAT_GENERATE} and {@link Addresses#CHAT_STOP} are permitted, and the bridge
 * stamps the verified user id onto every inbound message (a user id in the body is overwritten).
 * Outbound, a client may only register its own {@link Addresses#user} address, where the deltas of
 * its generations are published.
 */
public final class EventBusBridge {

  private final Vertx vertx;
  private final AuthHandler auth;
  private final GenerationService gen;
  private final ChatAnswers answers;
  private final Cors cors;

  public EventBusBridge(Vertx vertx, AuthHandler auth, GenerationService gen, ChatAnswers answers, Cors cors) {
    this.vertx = vertx;
    this.auth = auth;
    this.gen = gen;
    this.answers = answers;
    this.cors = cors;
  }

  /** Registers the inbound consumers on this node (local: a job stays on the node whose bridge started it). */
  public void start() {
    vertx.eventBus().<JsonObject>localConsumer(Addresses.CHAT_GENERATE, this::onGenerate);
    vertx.eventBus().<JsonObject>localConsumer(Addresses.CHAT_STOP, this::onStop);
    vertx.eventBus().<JsonObject>localConsumer(Addresses.CHAT_ATTACH, this::onAttach);
  }

  public void mount(Router router, long bodyLimitBytes) {
    // SockJS's XHR transports post their frames; the WebSocket upgrade (a GET) must not have its body read
    router.post("/eventbus/*").handler(BodyHandler.create(false).setBodyLimit(bodyLimitBytes));
    router.route("/eventbus/*").handler(this::authenticate);
    SockJSBridgeOptions options = new SockJSBridgeOptions()
        .addInboundPermitted(new PermittedOptions().setAddress(Addresses.CHAT_GENERATE))
        .addInboundPermitted(new PermittedOptions().setAddress(Addresses.CHAT_STOP))
        .addInboundPermitted(new PermittedOptions().setAddress(Addresses.CHAT_ATTACH))
        .addOutboundPermitted(new PermittedOptions().setAddressRegex(Addresses.USER_PREFIX.replace(".", "\\.") + ".+"));
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx).bridge(options, this::onBridgeEvent));
  }

  private void authenticate(RoutingContext ctx) {
    if (!cors.allows(ctx)) {
      ctx.fail(ApiError.forbidden("origin " + ctx.request().getHeader("Origin") + " may not use the event bus (see CORS_ORIGINS)"));
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim()
        : ctx.queryParams().get("token");
    if (token == null || token.isBlank()) {
      ctx.fail(ApiError.unauthorized("the event bus needs ?token=<access token> or an Authorization header"));
      return;
    }
    // hold the request while the token is checked: a WebSocket upgrade needs it unread
    if (!ctx.request().isEnded()) {
      ctx.request().pause();
    }
    auth.authenticate(token).onComplete(ar -> {
      ctx.request().resume();
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      ctx.put("caller", ar.result());
      ctx.next();
    });
  }

  private void onBridgeEvent(BridgeEvent be) {
    RoutingContext rc = be.socket().routingContext();
    Caller caller = rc == null ? null : rc.get("caller");
    if (caller == null) {
      be.complete(false);
      return;
    }
    BridgeEventType type = be.type();
    if (type == BridgeEventType.REGISTER) {
      String address = be.getRawMessage() == null ? null : be.getRawMessage().getString("address");
      be.complete(Addresses.user(caller.userId()).equals(address));
    } else if (type == BridgeEventType.SEND || type == BridgeEventType.PUBLISH) {
      JsonObject raw = be.getRawMessage();
      if (raw == null || !(raw.getValue("body") instanceof JsonObject body)) {
        be.complete(false);
        return;
      }
      body.put("userId", caller.userId().toString());
      be.setRawMessage(raw);
      be.complete(true);
    } else {
      be.complete(true);
    }
  }

  private void onGenerate(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    UUID user = UUID.fromString(body.getString("userId"));
    try {
      UUID chatId = Ids.parse(body.getString("chatId"), "chatId");
      JsonObject fields = body.copy();
      fields.remove("userId");
      fields.remove("chatId");
      Body input = Body.wrap(fields).only(java.util.Set.of("content", "parentId", "model", "options", "fileIds", "webSearch"));
      answers.answer(user, chatId, input).onComplete(ar -> {
        if (ar.failed()) {
          fail(msg, ar.cause());
          return;
        }
        JsonObject started = ar.result();
        msg.reply(started);
        gen.follow(started.getString("jobId"), user, 0, publisher(user, null));
      });
    } catch (RuntimeException e) {
      fail(msg, e);
    }
  }

  private void onStop(Message<JsonObject> msg) {
    UUID user = UUID.fromString(msg.body().getString("userId"));
    gen.stop(msg.body().getString("jobId", ""), user).onComplete(ar -> {
      if (ar.failed() || ar.result() == null) {
        fail(msg, ApiError.notFound("job"));
      } else {
        msg.reply(ar.result());
      }
    });
  }

  /** Re-sends a job's deltas after {@code from} (and then its live ones) to the owner's address: a page that reloaded catches up. */
  private void onAttach(Message<JsonObject> msg) {
    UUID user = UUID.fromString(msg.body().getString("userId"));
    Object from = msg.body().getValue("from", 0);
    if (!(from instanceof Number n) || n.longValue() < 0) {
      fail(msg, ApiError.badRequest("from", "from must be a sequence number (0 or more)"));
      return;
    }
    gen.follow(msg.body().getString("jobId", ""), user, n.longValue(), publisher(user, msg)).onComplete(ar -> {
      if (ar.failed() || ar.result() == null) {
        fail(msg, new ApiError(404, "not_found", "job not found (it ended more than the retention time ago, or is not yours)",
            "jobId"));
      }
    });
  }

  /**
   * Publishes a job's events to its owner's address: {type: delta|done, jobId, seq, ...}. An attach
   * ({@code attach} not null) is answered {jobId, done, prefix} before the first of them.
   */
  private JobListener publisher(UUID user, Message<JsonObject> attach) {
    String address = Addresses.user(user);
    return new JobListener() {
      private String jobId;

      @Override
      public void start(JobRef job, boolean done) {
        jobId = job.id();
        if (attach != null) {
          attach.reply(new JsonObject().put("jobId", job.id()).put("done", done).put("prefix", job.baseContent()));
        }
      }

      @Override
      public void delta(long seq, String text, JsonObject extra) {
        JsonObject m = new JsonObject().put("type", "delta").put("jobId", jobId).put("seq", seq).put("text", text);
        if (extra != null && extra.getString("event") != null) {
          m.put("search", extra); // web search progress before the text: {event: searching|reading|sources|search_error, ...}
        } else if (extra != null) {
          // a thinking model's reasoning, and tool calls in pieces as OpenAI streams them ({index, id?, function})
          if (extra.getString("reasoning_content") != null) {
            m.put("reasoning", extra.getString("reasoning_content"));
          }
          if (extra.getJsonArray("tool_calls") != null) {
            m.put("toolCalls", extra.getJsonArray("tool_calls"));
          }
        }
        vertx.eventBus().publish(address, m);
      }

      @Override
      public void done(long seq, JsonObject result) {
        vertx.eventBus().publish(address, result.copy().put("type", "done").put("seq", seq));
      }
    };
  }

  /**
   * A refusal as the bridge sends it: the failure code is the HTTP status the REST API would answer,
   * and the message is the same error object, as JSON text: {code, message, field?, retryAfter?}.
   */
  private static void fail(Message<JsonObject> msg, Throwable e) {
    ApiError err = ErrorHandler.toApiError(e, -1);
    JsonObject body = err.toJson().getJsonObject("error");
    if (err.retryAfter() > 0) {
      body.put("retryAfter", err.retryAfter());
    }
    msg.fail(err.status(), body.encode());
  }
}
