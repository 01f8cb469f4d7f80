package io.chatserver.chat;

import io.chatserver.errors.Refusal;
import io.chatserver.api.Body;
import io.chatserver.api.Ids;
import io.chatserver.api.Paging;
import io.chatserver.api.Responses;
import io.chatserver.api.Caller;
import io.chatserver.bot.BotStore;
import io.chatserver.persona.PersonaStore;
import io.vertx.core.Future;
import io.chatserver.personality.PersonalityCatalog;
import java.util.function.Function;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Chats and their message trees: create, list, search, branch, edit, delete, rate. */
public final class ChatRoutes implements io.chatserver.api.Routes {

  public static final int TITLE_MAX = 200;
  public static final int SYSTEM_MESSAGE_MAX = 20_000;

  private final ChatStore chats;
  private final PersonaStore personas;
  private final ChatAnswerer answerer;
  private final BotStore bots;
  private final PersonalityCatalog personalities;
  /** Whether a chat may turn web search on (a provider is configured). */
  private final java.util.function.BooleanSupplier webSearchConfigured;
  /** A user's default personality id (or null), for a new chat with nothing chosen. */
  private final Function<UUID, Future<String>> defaultPersonality;
  private final int maxContentChars;

  public ChatRoutes(ChatStore chats, PersonaStore personas, BotStore bots, PersonalityCatalog personalities,
                    Function<UUID, Future<String>> defaultPersonality, java.util.function.BooleanSupplier webSearchConfigured,
                    ChatAnswerer answerer, int maxContentChars) {
    this.webSearchConfigured = webSearchConfigured;
    this.personalities = personalities;
    this.defaultPersonality = defaultPersonality;
    this.chats = chats;
    this.personas = personas;
    this.bots = bots;
    this.answerer = answerer;
    this.maxContentChars = maxContentChars;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/chats").handler(Responses.handle(201, this::create));
    router.get("/api/chats").handler(Responses.handle(200, this::list));
    router.delete("/api/chats").handler(Responses.handle(200, this::deleteAll));
    router.get("/api/chats/:chatId").handler(Responses.handle(200, this::get));
    router.patch("/api/chats/:chatId").handler(Responses.handle(200, this::update));
    router.delete("/api/chats/:chatId").handler(Responses.handle(204, this::delete));
    router.get("/api/chats/:chatId/branch").handler(Responses.handle(200, this::branch));
    router.post("/api/chats/:chatId/messages").handler(Responses.handle(201, this::addMessage));
    router.get("/api/chats/:chatId/messages/:messageId").handler(Responses.handle(200, this::message));
    router.patch("/api/chats/:chatId/messages/:messageId").handler(Responses.handle(200, this::edit));
    router.delete("/api/chats/:chatId/messages/:messageId").handler(Responses.handle(204, this::deleteMessage));
    router.get("/api/chats/:chatId/messages/:messageId/children").handler(Responses.handle(200, this::children));
    router.post("/api/chats/:chatId/messages/:messageId/rating").handler(Responses.handle(200, this::rate));
  }

  private Future<JsonObject> create(RoutingContext ctx) {
    UUID user = Caller.of(ctx).userId();
    Body body = Body.of(ctx).only(Set.of("title", "systemMessage", "personaId", "botId", "botCode", "personalityId"));
    String title = body.optionalString("title", 1, TITLE_MAX);
    String system = body.optionalString("systemMessage", 0, SYSTEM_MESSAGE_MAX);
    UUID personaId = body.optionalUuid("personaId");
    UUID botId = body.optionalUuid("botId");
    String botCode = body.optionalString("botCode", 1, 50);
    String personalityId = body.optionalString("personalityId", 1, 64);
    if ((system != null ? 1 : 0) + (personaId != null ? 1 : 0) + (botId != null || botCode != null ? 1 : 0)
        + (personalityId != null ? 1 : 0) > 1) {
      throw Refusal.invalid(personaId != null ? "personaId" : personalityId != null ? "personalityId" : "botId",
          "give one of systemMessage, personaId, personalityId or a bot");
    }
    if (botId != null || botCode != null) {
      // the bot's system prompt is copied in; its model and defaults apply to every answer of the chat
      return (botId != null ? bots.get(botId, false) : bots.byCode(botCode)).compose(bot -> bot == null
          ? Future.failedFuture(Refusal.notFound("bot not found", botId != null ? "botId" : "botCode"))
          : chats.createWithBot(user, title == null ? bot.getString("name") : title, bot.getString("systemPrompt"),
              UUID.fromString(bot.getString("id"))));
    }
    if (personalityId != null) {
      JsonObject p = personalities.get(personalityId);
      if (p == null) {
        throw Refusal.notFound("no personality '" + personalityId + "'; see GET /api/personalities", "personalityId");
      }
      return chats.createWithPersonality(user, title == null ? p.getString("name") : title, p.getString("systemPrompt"), personalityId);
    }
    String finalTitle = title == null ? "New chat" : title;
    if (personaId != null) {
      return personas.get(user, personaId).compose(p -> p == null
          ? Future.failedFuture(Refusal.notFound("persona not found", "personaId"))
          : chats.createWithPersona(user, finalTitle, p.getString("content"), personaId));
    }
    if (system != null) {
      return chats.create(user, finalTitle, system);
    }
    // nothing chosen: the user's default personality, if it is still in the catalog
    return defaultPersonality.apply(user).compose(id -> {
      JsonObject p = id == null ? null : personalities.get(id);
      return p == null ? chats.create(user, finalTitle, null)
          : chats.createWithPersonality(user, finalTitle, p.getString("systemPrompt"), id);
    });
  }

  private Future<JsonObject> list(RoutingContext ctx) {
    Paging page = Paging.of(ctx, 20, 100);
    String q = ctx.queryParams().get("q");
    if (q != null && q.length() > 500) {
      throw Refusal.invalid("q", "q must be at most 500 characters");
    }
    return chats.list(Caller.of(ctx).userId(), q, filter(ctx, boolParam(ctx, "favorite")), page.limit(), page.offset())
        .map(r -> r.put("limit", page.limit()).put("offset", page.offset()));
  }

  /** The chats a list or delete is about: {@code botId}, {@code personaId}, {@code systemMessage} (exact) when given. */
  private static ChatStore.ChatFilter filter(RoutingContext ctx, Boolean favorite) {
    String bot = ctx.queryParams().get("botId");
    String persona = ctx.queryParams().get("personaId");
    String system = ctx.queryParams().get("systemMessage");
    if (system != null && system.length() > 100_000) {
      throw Refusal.invalid("systemMessage", "systemMessage is too long");
    }
    return new ChatStore.ChatFilter(favorite, bot == null ? null : Ids.parse(bot, "botId"),
        persona == null ? null : Ids.parse(persona, "personaId"), system);
  }

  private Future<JsonObject> deleteAll(RoutingContext ctx) {
    Boolean keep = boolParam(ctx, "keepFavorites");
    return chats.deleteAll(Caller.of(ctx).userId(), keep == null || keep, filter(ctx, null))
        .map(n -> new JsonObject().put("deleted", n));
  }

  private Future<JsonObject> get(RoutingContext ctx) {
    return chats.getWithMessages(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"));
  }

  private Future<JsonObject> update(RoutingContext ctx) {
    UUID chatId = Ids.pathParam(ctx, "chatId");
    Body body = Body.of(ctx).only(Set.of("title", "favorite", "systemMessage", "currentLeafId", "webSearch", "personaId"));
    JsonObject changes = new JsonObject();
    if (body.has("personaId") && body.has("systemMessage")) {
      throw Refusal.invalid("personaId", "give personaId or systemMessage, not both");
    }
    if (body.has("title")) {
      String title = body.optionalString("title", 1, TITLE_MAX);
      if (title == null) {
        throw Refusal.invalid("title", "title cannot be null");
      }
      changes.put("title", title);
    }
    if (body.has("favorite")) {
      Boolean fav = body.optionalBoolean("favorite");
      if (fav == null) {
        throw Refusal.invalid("favorite", "favorite must be true or false");
      }
      changes.put("favorite", fav);
    }
    if (body.has("systemMessage")) {
      changes.put("system_message", body.optionalString("systemMessage", 0, SYSTEM_MESSAGE_MAX));
    }
    if (body.has("webSearch")) {
      Boolean web = body.optionalBoolean("webSearch");
      if (web == null) {
        throw Refusal.invalid("webSearch", "webSearch must be true or false");
      }
      if (web && !webSearchConfigured.getAsBoolean()) {
        throw Refusal.invalid("webSearch", io.chatserver.search.WebSearch.NOT_CONFIGURED);
      }
      changes.put("web_search", web);
    }
    if (body.has("currentLeafId")) {
      UUID leaf = body.optionalUuid("currentLeafId");
      if (leaf == null) {
        throw Refusal.invalid("currentLeafId", "currentLeafId must be a message id");
      }
      changes.put("current_leaf_id", leaf.toString());
    }
    UUID user = Caller.of(ctx).userId();
    if (body.has("personaId")) {
      UUID personaId = body.optionalUuid("personaId");
      if (personaId == null) {
        throw Refusal.invalid("personaId", "personaId must be a persona id");
      }
      // a saved persona joins the chat: its instructions after the bot's prompt (a bot's chat keeps its bot)
      return chats.get(user, chatId).compose(chat -> chat == null ? Future.failedFuture(Refusal.notFound("chat not found", "chatId"))
          : personas.get(user, personaId).compose(p -> {
            if (p == null) {
              return Future.failedFuture(Refusal.notFound("persona not found", "personaId"));
            }
            String botId = chat.getString("botId");
            Future<JsonObject> bot = botId == null ? Future.succeededFuture(null) : bots.get(UUID.fromString(botId), true);
            return bot.compose(b -> {
              String botPrompt = b == null ? null : b.getString("systemPrompt");
              String system = botPrompt == null || botPrompt.isBlank() ? p.getString("content")
                  : botPrompt + "\n\n" + p.getString("content");
              if (system.length() > SYSTEM_MESSAGE_MAX) {
                return Future.failedFuture(Refusal.invalid("personaId", "the bot's prompt and the persona together are too long"));
              }
              return chats.update(user, chatId, changes.copy().put("system_message", system).put("persona_id", personaId.toString()));
            });
          }));
    }
    return chats.update(user, chatId, changes);
  }

  private Future<Void> delete(RoutingContext ctx) {
    return chats.delete(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"))
        .compose(ok -> ok ? Future.<Void>succeededFuture() : Future.failedFuture(Refusal.notFound("chat")));
  }

  /** Root to the current leaf (or through {@code ?leaf=}), continued to the newest leaf below. */
  private Future<JsonObject> branch(RoutingContext ctx) {
    UUID chatId = Ids.pathParam(ctx, "chatId");
    String leafParam = ctx.queryParams().get("leaf");
    UUID leaf = leafParam == null ? null : Ids.parse(leafParam, "leaf");
    return chats.tree(Caller.of(ctx).userId(), chatId).map(ct -> {
      MessageTree tree = ct.tree();
      List<Message> path;
      if (leaf != null) {
        Message through = tree.get(leaf);
        if (through == null) {
          throw Refusal.notFound("message not found in this chat", "leaf");
        }
        path = tree.branch(through);
      } else {
        path = ct.currentBranch();
      }
      return new JsonObject()
          .put("chatId", chatId.toString())
          .put("leafId", path.isEmpty() ? null : path.get(path.size() - 1).id().toString())
          .put("messages", tree.branchJson(path));
    });
  }

  /** A message under the current leaf or {@code parentId}; with {@code generate: true}, a user message and its answer. */
  private Future<JsonObject> addMessage(RoutingContext ctx) {
    UUID chatId = Ids.pathParam(ctx, "chatId");
    Body raw = Body.of(ctx);
    if (Boolean.TRUE.equals(raw.optionalBoolean("generate"))) {
      Body body = raw.only(Set.of("parentId", "role", "content", "generate", "model", "options", "fileIds", "webSearch"));
      if (body.has("role") && body.optionalEnum("role", Set.of("user")) == null) {
        throw Refusal.invalid("role", "a message that asks for an answer must have role 'user'");
      }
      return answerer.answer(Caller.of(ctx).userId(), chatId, body);
    }
    MessageInput input = messageInput(raw.only(Set.of("parentId", "role", "content", "generate")));
    return chats.addMessage(Caller.of(ctx).userId(), chatId, input.parent(), input.role(), input.content())
        .map(Message::toJson);
  }

  /** The fields of a new message: {@code parentId} (absent = under the current leaf, null = a new root), role, content. */
  public record MessageInput(ChatStore.Parent parent, String role, String content) {}

  public MessageInput messageInput(Body body) {
    ChatStore.Parent parent = body.has("parentId")
        ? new ChatStore.Parent(true, body.optionalUuid("parentId")) : ChatStore.Parent.CURRENT_LEAF;
    String role = body.optionalEnum("role", Message.ROLES);
    if (role == null) {
      throw Refusal.invalid("role", "role is required: one of " + Message.ROLES);
    }
    String content = body.requiredString("content", 0, maxContentChars);
    return new MessageInput(parent, role, content);
  }

  private Future<JsonObject> message(RoutingContext ctx) {
    return chats.message(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"), Ids.pathParam(ctx, "messageId"))
        .map(Message::toJson);
  }

  private Future<JsonObject> edit(RoutingContext ctx) {
    UUID chatId = Ids.pathParam(ctx, "chatId");
    UUID messageId = Ids.pathParam(ctx, "messageId");
    String content = Body.of(ctx).only(Set.of("content")).requiredString("content", 0, maxContentChars);
    return chats.editContent(Caller.of(ctx).userId(), chatId, messageId, content).map(Message::toJson);
  }

  private Future<Void> deleteMessage(RoutingContext ctx) {
    return chats.deleteMessage(Caller.of(ctx).userId(), Ids.pathParam(ctx, "chatId"), Ids.pathParam(ctx, "messageId"));
  }

  private Future<JsonObject> children(RoutingContext ctx) {
    UUID chatId = Ids.pathParam(ctx, "chatId");
    UUID messageId = Ids.pathParam(ctx, "messageId");
    return chats.tree(Caller.of(ctx).userId(), chatId).map(ct -> {
      if (ct.tree().get(messageId) == null) {
        throw Refusal.notFound("message");
      }
      JsonArray items = new JsonArray();
      ct.tree().children(messageId).forEach(m -> items.add(m.toJson()));
      return new JsonObject().put("items", items);
    });
  }

  private Future<JsonObject> rate(RoutingContext ctx) {
    UUID chatId = Ids.pathParam(ctx, "chatId");
    UUID messageId = Ids.pathParam(ctx, "messageId");
    Body body = Body.of(ctx).only(Set.of("value", "comment"));
    Long value = body.optionalLong("value", -1, 1);
    if (value == null) {
      throw Refusal.invalid("value", "value is required: 1, 0 or -1");
    }
    String comment = body.optionalString("comment", 0, 2000);
    return chats.rate(Caller.of(ctx).userId(), chatId, messageId, value.intValue(), comment).map(Message::toJson);
  }

  private static Boolean boolParam(RoutingContext ctx, String name) {
    String raw = ctx.queryParams().get(name);
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    return switch (raw) {
      case "true" -> true;
      case "false" -> false;
      default -> throw Refusal.invalid(name, name + " must be true or false");
    };
  }
}
