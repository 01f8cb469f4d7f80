package io.chatserver.transfer;

import io.chatserver.errors.Refusal;
import io.chatserver.api.Body;
import io.chatserver.api.Ids;
import io.chatserver.api.Responses;
import io.chatserver.api.Caller;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.LocalDate;
import java.util.UUID;

/** Export (JSON or Markdown) and import (JSON) of chats and user data. */
public final class TransferRoutes implements io.chatserver.api.Routes {

  private final ChatTransfer transfer;

  public TransferRoutes(ChatTransfer transfer) {
    this.transfer = transfer;
  }

  @Override
  public void mount(Router router) {
    router.get("/api/chats/:chatId/export").handler(this::exportChat);
    router.get("/api/export").handler(this::exportAll);
    router.post("/api/import").handler(Responses.handle(201, ctx -> transfer.importDocument(Caller.of(ctx).userId(),
        Body.of(ctx).json())));
  }

  private void exportChat(RoutingContext ctx) {
    UUID user = Caller.of(ctx).userId();
    UUID chatId = Ids.pathParam(ctx, "chatId");
    boolean md = markdown(ctx);
    Future<?> body = md ? transfer.markdownChat(user, chatId) : transfer.exportChat(user, chatId);
    send(ctx, body, md, "chat-" + chatId);
  }

  private void exportAll(RoutingContext ctx) {
    UUID user = Caller.of(ctx).userId();
    boolean md = markdown(ctx);
    send(ctx, md ? transfer.markdownAll(user) : transfer.exportAll(user), md, "chats-" + LocalDate.now());
  }

  private static boolean markdown(RoutingContext ctx) {
    String format = ctx.queryParams().get("format");
    if (format == null || format.equals("json")) {
      return false;
    }
    if (format.equals("markdown") || format.equals("md")) {
      return true;
    }
    throw Refusal.invalid("format", "format must be json or markdown");
  }

  private static void send(RoutingContext ctx, Future<?> body, boolean markdown, String name) {
    body.onFailure(ctx::fail).onSuccess(b -> {
      if (markdown) {
        ctx.response().putHeader("Content-Type", "text/markdown; charset=utf-8")
            .putHeader("Content-Disposition", "attachment; filename=\"" + name + ".md\"").end((String) b);
      } else {
        ctx.response().putHeader("Content-Type", "application/json; charset=utf-8")
            .putHeader("Content-Disposition", "attachment; filename=\"" + name + ".json\"").end(((JsonObject) b).encode());
      }
    });
  }
}
