package io.chatserver.share;

import io.chatserver.api.ApiError;
import io.chatserver.api.Caller;
import io.chatserver.api.ErrorHandler;
import io.chatserver.api.Ids;
import io.chatserver.api.Responses;
import io.chatserver.api.Routes;
import io.chatserver.chat.ChatStore;
import io.chatserver.chat.Message;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Read-only links to a chat: {@code POST /api/chats/{id}/share} snapshots the current branch (the
 * user's and the assistant's messages, not the system prompt) under a new link and revokes the
 * chat's old one; {@code GET} shows the live link; {@code DELETE} revokes it. {@code GET /s/{token}}
 * needs no login: JSON for API clients, the UI's read-only view for browsers.
 */
public final class ShareRoutes implements Routes {

  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{43}");

  private final ShareStore shares;
  private final ChatStore chats;
  private final Handler<RoutingContext> page;

  /** @param page serves the browser UI's page (for a browser that opens a link) */
  public ShareRoutes(ShareStore shares, ChatStore chats, Handler<RoutingContext> page) {
    this.shares = shares;
    this.chats = chats;
    this.page = page;
  }

  /** Before the wall: the shared view. */
  public void mountPublic(Router router) {
    router.get("/s/:token").handler(this::view);
  }

  @Override
  public void mount(Router router) {
    router.post("/api/chats/:chatId/share").handler(Responses.handle(201, this::create));
    router.get("/api/chats/:chatId/share").handler(Responses.handle(200, this::current));
    router.delete("/api/chats/:chatId/share").handler(Responses.handle(204, this::revoke));
  }

  private Future<JsonObject> create(RoutingContext ctx) {
    UUID user = Caller.of(ctx).userId();
    UUID chatId = Ids.pathParam(ctx, "chatId");
    return chats.tree(user, chatId).compose(ct -> {
      List<Message> branch = ct.currentBranch();
      JsonArray messages = new JsonArray();
      for (Message m : branch) {
        if (m.role().equals("user") || m.role().equals("assistant")) {
          messages.add(new JsonObject().put("role", m.role()).put("content", m.content()).put("model", m.model())
              .put("createdAt", m.createdAt()));
        }
      }
      if (messages.isEmpty()) {
        throw new ApiError(409, "empty_chat", "there is nothing to share in this chat yet");
      }
      return shares.create(user, chatId, ct.chat().getString("title", ""), messages);
    });
  }

  private Future<JsonObject> current(RoutingContext ctx) {
    return chats.get(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"))
        .compose(chat -> shares.current(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId")))
        .map(link -> {
          if (link == null) {
            throw new ApiError(404, "not_found", "this chat has no share link");
          }
          return link;
        });
  }

  private Future<Void> revoke(RoutingContext ctx) {
    return shares.revoke(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"))
        .compose(ok -> ok ? Future.<Void>succeededFuture()
            : Future.failedFuture(new ApiError(404, "not_found", "this chat has no share link")));
  }

  private void view(RoutingContext ctx) {
    String token = ctx.pathParam("token");
    boolean json = ctx.request().getHeader("Accept") != null && ctx.request().getHeader("Accept").contains("application/json");
    if (!json) {
      page.handle(ctx); // the page asks again for the JSON, and shows a missing link itself
      return;
    }
    ctx.response().putHeader("Cache-Control", "no-store").putHeader("Referrer-Policy", "no-referrer");
    if (!TOKEN.matcher(token).matches()) {
      ErrorHandler.send(ctx, new ApiError(404, "not_found", "no such shared chat (the link is wrong or was revoked)"));
      return;
    }
    shares.shared(token).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result() == null) {
        ErrorHandler.send(ctx, new ApiError(404, "not_found", "no such shared chat (the link is wrong or was revoked)"));
      } else {
        ctx.response().putHeader("Content-Type", "application/json").end(ar.result().encode());
      }
    });
  }
}
