package io.chatserver.support;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Caller;
import io.chatserver.api.Ids;
import io.chatserver.api.Paging;
import io.chatserver.api.Responses;
import io.chatserver.api.Routes;
import io.chatserver.chat.ChatStore;
import io.chatserver.chat.Message;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Feedback about whole chats, and tickets: a user files a ticket about a chat (with a snapshot of
 * the messages it is about: the ones named, else the current branch), follows it and replies;
 * admins list feedback and tickets, reply, and change a ticket's status.
 */
public final class SupportRoutes implements Routes {

  public static final int COMMENT_MAX = 5_000;
  public static final int SUBJECT_MAX = 200;
  public static final int TEXT_MAX = 20_000;
  public static final int MESSAGE_IDS_MAX = 200;

  private final FeedbackStore feedback;
  private final TicketStore tickets;
  private final ChatStore chats;

  public SupportRoutes(FeedbackStore feedback, TicketStore tickets, ChatStore chats) {
    this.feedback = feedback;
    this.tickets = tickets;
    this.chats = chats;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/chats/:chatId/feedback").handler(Responses.handle(200, this::giveFeedback));
    router.get("/api/chats/:chatId/feedback").handler(Responses.handle(200, this::myFeedback));
    router.get("/api/admin/feedback").handler(Caller.requireAdmin()).handler(Responses.handle(200, this::allFeedback));

    router.post("/api/chats/:chatId/tickets").handler(Responses.handle(201, this::file));
    router.get("/api/tickets").handler(Responses.handle(200, ctx -> list(ctx, Caller.of(ctx).userId())));
    router.get("/api/tickets/:ticketId").handler(Responses.handle(200, ctx -> get(ctx, Caller.of(ctx).userId())));
    router.post("/api/tickets/:ticketId/replies").handler(Responses.handle(201, ctx -> reply(ctx, Caller.of(ctx).userId())));
    router.get("/api/admin/tickets").handler(Caller.requireAdmin()).handler(Responses.handle(200, ctx -> list(ctx, null)));
    router.get("/api/admin/tickets/:ticketId").handler(Caller.requireAdmin()).handler(Responses.handle(200, ctx -> get(ctx, null)));
    router.post("/api/admin/tickets/:ticketId/replies").handler(Caller.requireAdmin())
        .handler(Responses.handle(201, ctx -> reply(ctx, null)));
    router.patch("/api/admin/tickets/:ticketId").handler(Caller.requireAdmin()).handler(Responses.handle(200, this::setStatus));
  }

  private Future<JsonObject> giveFeedback(RoutingContext ctx) {
    Body body = Body.of(ctx).only(Set.of("rating", "comment"));
    Long rating = body.optionalLong("rating", -1, 1);
    if (rating == null || rating == 0) {
      throw ApiError.badRequest("rating", "rating must be 1 (good) or -1 (bad)");
    }
    String comment = body.optionalString("comment", 0, COMMENT_MAX);
    return feedback.give(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"), rating.intValue(), comment)
        .map(f -> found(f, "chat"));
  }

  private Future<JsonObject> myFeedback(RoutingContext ctx) {
    return feedback.mine(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId")).map(f -> found(f, "feedback"));
  }

  private Future<JsonObject> allFeedback(RoutingContext ctx) {
    Paging page = Paging.of(ctx, 50, 500);
    String r = ctx.queryParams().get("rating");
    Integer rating = null;
    if (r != null && !r.isEmpty()) {
      if (!r.equals("1") && !r.equals("-1")) {
        throw ApiError.badRequest("rating", "rating must be 1 or -1");
      }
      rating = Integer.parseInt(r);
    }
    String u = ctx.queryParams().get("userId");
    return feedback.list(rating, u == null || u.isEmpty() ? null : Ids.parse(u, "userId"), page.limit(), page.offset());
  }

  private Future<JsonObject> file(RoutingContext ctx) {
    UUID user = Caller.of(ctx).userId();
    UUID chatId = Ids.pathParam(ctx, "chatId");
    Body body = Body.of(ctx).only(Set.of("subject", "description", "messageIds"));
    String subject = body.requiredString("subject", 1, SUBJECT_MAX);
    String description = body.requiredString("description", 1, TEXT_MAX);
    JsonArray ids = body.optionalArray("messageIds");
    List<UUID> wanted = new ArrayList<>();
    if (ids != null) {
      if (ids.isEmpty() || ids.size() > MESSAGE_IDS_MAX) {
        throw ApiError.badRequest("messageIds", "messageIds needs 1 to " + MESSAGE_IDS_MAX + " message ids (or leave it out for the current branch)");
      }
      for (Object o : ids) {
        if (!(o instanceof String s)) {
          throw ApiError.badRequest("messageIds", "messageIds must be message ids");
        }
        wanted.add(Ids.parse(s, "messageIds"));
      }
    }
    return chats.tree(user, chatId).compose(ct -> {
      List<Message> picked;
      if (wanted.isEmpty()) {
        picked = ct.currentBranch();
      } else {
        picked = new ArrayList<>();
        for (UUID id : wanted) {
          Message m = ct.tree().get(id);
          if (m == null) {
            throw ApiError.badRequest("messageIds", "message " + id + " is not in this chat");
          }
          picked.add(m);
        }
      }
      JsonArray snapshot = new JsonArray();
      picked.forEach(m -> snapshot.add(new JsonObject().put("id", m.id().toString()).put("role", m.role())
          .put("content", m.content()).put("model", m.model()).put("createdAt", m.createdAt())));
      return tickets.create(user, chatId, ct.chat().getString("title", ""), subject, description, snapshot);
    });
  }

  private Future<JsonObject> list(RoutingContext ctx, UUID owner) {
    Paging page = Paging.of(ctx, 50, 500);
    String status = ctx.queryParams().get("status");
    if (status != null && !status.isEmpty() && !TicketStore.STATUSES.contains(status)) {
      throw ApiError.badRequest("status", "status must be open, answered or closed");
    }
    return tickets.list(owner, status == null || status.isEmpty() ? null : status, page.limit(), page.offset());
  }

  private Future<JsonObject> get(RoutingContext ctx, UUID owner) {
    return tickets.get(owner, Ids.pathParam(ctx, "ticketId")).map(t -> found(t, "ticket"));
  }

  private Future<JsonObject> reply(RoutingContext ctx, UUID owner) {
    UUID id = Ids.pathParam(ctx, "ticketId");
    String text = Body.of(ctx).only(Set.of("body")).requiredString("body", 1, TEXT_MAX);
    return tickets.reply(owner, id, Caller.of(ctx).userId(), text).compose(ok -> {
      if (!ok) {
        throw ApiError.notFound("ticket");
      }
      return tickets.get(owner, id);
    });
  }

  private Future<JsonObject> setStatus(RoutingContext ctx) {
    UUID id = Ids.pathParam(ctx, "ticketId");
    String status = Body.of(ctx).only(Set.of("status")).optionalEnum("status", TicketStore.STATUSES);
    if (status == null) {
      throw ApiError.badRequest("status", "status must be open, answered or closed");
    }
    return tickets.setStatus(id, status).compose(ok -> {
      if (!ok) {
        throw ApiError.notFound("ticket");
      }
      return tickets.get(null, id);
    });
  }

  private static JsonObject found(JsonObject j, String what) {
    if (j == null) {
      throw ApiError.notFound(what);
    }
    return j;
  }
}
