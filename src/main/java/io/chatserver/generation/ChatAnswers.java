package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.bus.SamplingOptions;
import io.chatserver.bot.BotStore;
import io.chatserver.chat.ChatAnswerer;
import io.chatserver.chat.ChatStore;
import io.chatserver.chat.MessageStatus;
import io.chatserver.chat.Message;
import io.chatserver.chat.MessageTree;
import io.chatserver.user.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.UUID;

/**
 * Answers in a chat: a new user message and its answer, a regenerated answer (a sibling), a
 * continued answer. Builds the conversation from the chat's tree (system prompt, the branch), picks
 * the model and options, starts the job and creates the messages once a worker accepted it. The one
 * service the REST routes and the SockJS bridge both call.
 */
public final class ChatAnswers implements ChatAnswerer {

  private final GenerationService gen;
  private final ChatStore chats;
  private final UserStore users;
  private final BotStore bots;
  private final int maxContentChars;

  public ChatAnswers(GenerationService gen, ChatStore chats, UserStore users, BotStore bots, int maxContentChars) {
    this.gen = gen;
    this.chats = chats;
    this.users = users;
    this.bots = bots;
    this.maxContentChars = maxContentChars;
  }

  /**
   * Adds the user's message and starts the answer ({@code body}: content, parentId?, model?,
   * options?). Shared by the HTTP route and the SockJS bridge. The messages are created only once a
   * worker accepted the job, so a refusal (429, 503, 504) leaves nothing behind.
   */
  @Override
  public Future<JsonObject> answer(UUID user, UUID chatId, Body body) {
    String content = body.requiredString("content", 1, maxContentChars);
    boolean explicit = body.has("parentId");
    UUID parentId = body.optionalUuid("parentId");
    JsonObject options = SamplingOptions.validate(body.optionalObject("options"), "options");
    String model = body.optionalString("model", 1, 200);
    return chats.tree(user, chatId).compose(ct -> {
      UUID parent = explicit ? parentId : ct.currentLeafId();
      Message p = parent == null ? null : ct.tree().get(parent);
      if (parent != null && p == null) {
        throw new ApiError(404, "not_found", "parent message not found in this chat", "parentId");
      }
      List<Message> path = p == null ? List.of() : ct.tree().pathTo(p);
      JsonObject[] userMessage = new JsonObject[1];
      return prepare(user, ct.chat(), path, model, options).compose(prep -> {
        JsonArray messages = prep.messages().add(new JsonObject().put("role", "user").put("content", content));
        return gen.start(new GenerationService.Spec(user, prep.model(), new JsonObject().put("messages", messages)
            .put("chatId", chatId.toString()),
            prep.options(), true, job -> chats.addChain(user, chatId, parent, List.of(
                new ChatStore.NewMessage("user", content, MessageStatus.DONE, null),
                new ChatStore.NewMessage("assistant", "", MessageStatus.STREAMING, prep.model(), job.id)))
            .map(list -> {
              userMessage[0] = list.get(0).toJson();
              job.messageId = list.get(1).id();
              return null;
            })));
      }).map(job -> started(job).put("message", userMessage[0]));
    });
  }

  /** A new sibling answer to the message (or to the user message before an assistant message). */
  public Future<JsonObject> regenerate(OnMessage r) {
    UUID user = r.user();
    UUID chatId = r.chatId();
    return r.target(chats).compose(ct -> {
      MessageTree tree = ct.tree();
      Message target = tree.get(r.messageId());
      Message parent = target.role().equals("assistant")
          ? (target.parentId() == null ? null : tree.get(target.parentId())) : target;
      if (parent == null) {
        throw ApiError.unprocessable("this assistant message has nothing before it to answer");
      }
      List<Message> path = tree.pathTo(parent);
      return prepare(user, ct.chat(), path, r.model(), r.options()).compose(prep -> gen.start(new GenerationService.Spec(user,
          prep.model(), new JsonObject().put("messages", prep.messages()).put("chatId", chatId.toString())
              .put("messageId", r.messageId().toString()), prep.options(), true,
          job -> chats.addChain(user, chatId, parent.id(), List.of(new ChatStore.NewMessage("assistant", "", MessageStatus.STREAMING,
              prep.model(), job.id))).map(list -> {
                job.messageId = list.get(0).id();
                return null;
              }))))
          .map(this::started);
    });
  }

  /** Extends a finished assistant message in place. */
  public Future<JsonObject> continueAnswer(OnMessage r) {
    UUID user = r.user();
    UUID chatId = r.chatId();
    return r.target(chats).compose(ct -> {
      MessageTree tree = ct.tree();
      Message target = tree.get(r.messageId());
      if (!target.role().equals("assistant") || target.status() == MessageStatus.STREAMING) {
        throw ApiError.unprocessable("only a finished assistant message can be continued");
      }
      Message parent = target.parentId() == null ? null : tree.get(target.parentId());
      List<Message> path = parent == null ? List.of() : tree.pathTo(parent);
      return prepare(user, ct.chat(), path, r.model() != null ? r.model() : target.model(), r.options())
          .compose(prep -> gen.start(new GenerationService.Spec(user, prep.model(), new JsonObject()
              .put("messages", prep.messages()).put("assistantPrefix", target.content()).put("chatId", chatId.toString())
              .put("messageId", r.messageId().toString()), prep.options(), false,
              job -> chats.markStreaming(user, chatId, r.messageId(), job.id).map(m -> {
                job.messageId = m.id();
                job.baseContent = target.content();
                return null;
              }))))
          .map(this::started);
    });
  }

  /** A request about one message of a chat, with optional model and options (regenerate, continue). */
  public record OnMessage(UUID user, UUID chatId, UUID messageId, String model, JsonObject options) {
    /** The chat's tree, once the message is known to be in it (404 otherwise). */
    Future<ChatStore.ChatAndTree> target(ChatStore chats) {
      return chats.tree(user, chatId).map(ct -> {
        if (ct.tree().get(messageId) == null) {
          throw ApiError.notFound("message");
        }
        return ct;
      });
    }
  }

  /** The conversation before the answer (system prompt first), the model and the options for a chat job. */
  private record Prepared(String model, JsonArray messages, JsonObject options) {}

  /**
   * The model is the request's, else the chat's bot's, else the user's preferred, else the server's
   * default; sampling options are the user's defaults, under the bot's, under the request's.
   */
  private Future<Prepared> prepare(UUID user, JsonObject chat, List<Message> path, String model, JsonObject options) {
    String botId = chat.getString("botId");
    Future<JsonObject> bot = botId == null ? Future.succeededFuture(null) : bots.get(UUID.fromString(botId), true);
    return bot.compose(b -> users.profile(user).compose(profile -> gen.resolveModel(
        model != null ? model : b != null && b.getString("model") != null ? b.getString("model") : null,
        profile.getString("preferredModel")).map(m -> {
          JsonArray messages = new JsonArray();
          String system = chat.getString("systemMessage") != null ? chat.getString("systemMessage") : profile.getString("systemPrompt");
          if (system != null && !system.isBlank()) {
            messages.add(new JsonObject().put("role", "system").put("content", system));
          }
          for (Message msg : path) {
            if (!(msg.role().equals("assistant") && msg.content().isEmpty())) {
              messages.add(new JsonObject().put("role", msg.role()).put("content", msg.content()));
            }
          }
          JsonObject merged = profile.getJsonObject("settings", new JsonObject()).copy();
          if (b != null && b.getValue("settings") instanceof JsonObject botSettings) {
            merged.mergeIn(botSettings);
          }
          return new Prepared(m, messages, merged.mergeIn(options));
        })));
  }

  JsonObject started(Job job) {
    return new JsonObject().put("jobId", job.id).put("model", job.model)
        .put("assistantMessageId", job.messageId() == null ? null : job.messageId().toString())
        .put("stream", "/api/jobs/" + job.id + "/stream");
  }
}
