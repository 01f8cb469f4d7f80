package io.chatserver.generation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.UUID;

/**
 * Every way of asking for an answer, in one type: a new message in a chat, a regenerated or
 * continued answer, a conversation sent whole ({@code /api/chat}, {@code /v1/chat/completions}) and
 * a raw prompt ({@code /api/generate}, {@code /v1/completions}). {@link ChatAnswers#plan} turns it
 * into the one {@link AnswerPlan}. Fields a kind does not use are null.
 *
 * @param chatId    the chat the answer belongs to (required for the chat kinds; optional for a conversation,
 *                  which is then saved into it)
 * @param messageId the message regenerated or continued
 * @param parentId  for a new message: where it goes ({@code parentGiven} false: after the chat's current leaf)
 * @param messages  a conversation's messages, validated, system first if any
 * @param prompt    a raw prompt's payload: {prompt, suffix?} or {promptIds, ...}
 * @param extras    payload fields a face adds for the worker (tools, chatTemplateKwargs, logprobs, ...), and the
 *                  OpenAI parameters for an upstream service's model ({@link #OPENAI_SHARED}, {@link #OPENAI_PASSED})
 * @param openAi    OpenAI's semantics: the request's sampling options are complete (OpenAI's defaults fill
 *                  them), so the user's saved defaults do not apply
 */
public record AnswerRequest(Kind kind, UUID user, UUID chatId, UUID messageId, UUID parentId, boolean parentGiven,
                            String content, List<UUID> fileIds, JsonArray messages, JsonObject prompt, String model,
                            JsonObject options, Boolean webSearch, JsonObject extras, boolean openAi) {

  /** In {@code extras}: OpenAI parameters a local model reads too (tools, logprobs, ...), passed on to an upstream's model. */
  public static final String OPENAI_SHARED = "openaiShared";
  /** In {@code extras}: OpenAI parameters only an upstream's model takes (penalties, logit_bias, user): a 400 for a local one. */
  public static final String OPENAI_PASSED = "openaiPassed";

  public enum Kind {
    NEW_MESSAGE, REGENERATE, CONTINUE, CONVERSATION, PROMPT;

    boolean inChatTree() {
      return this == NEW_MESSAGE || this == REGENERATE || this == CONTINUE;
    }
  }

  public static AnswerRequest newMessage(UUID user, UUID chatId, String content, UUID parentId, boolean parentGiven,
                                         List<UUID> fileIds, String model, JsonObject options, Boolean webSearch) {
    return new AnswerRequest(Kind.NEW_MESSAGE, user, chatId, null, parentId, parentGiven, content, fileIds, null, null, model,
        options, webSearch, null, false);
  }

  public static AnswerRequest regenerate(UUID user, UUID chatId, UUID messageId, String model, JsonObject options,
                                         Boolean webSearch) {
    return new AnswerRequest(Kind.REGENERATE, user, chatId, messageId, null, false, null, List.of(), null, null, model, options,
        webSearch, null, false);
  }

  public static AnswerRequest continueAnswer(UUID user, UUID chatId, UUID messageId, String model, JsonObject options) {
    return new AnswerRequest(Kind.CONTINUE, user, chatId, messageId, null, false, null, List.of(), null, null, model, options,
        false, null, false);
  }

  public static AnswerRequest conversation(UUID user, JsonArray messages, UUID chatId, String model, JsonObject options,
                                           Boolean webSearch, JsonObject extras, boolean openAi) {
    return new AnswerRequest(Kind.CONVERSATION, user, chatId, null, null, false, null, List.of(), messages, null, model, options,
        webSearch, extras, openAi);
  }

  public static AnswerRequest prompt(UUID user, JsonObject prompt, String model, JsonObject options, JsonObject extras,
                                     boolean openAi) {
    return new AnswerRequest(Kind.PROMPT, user, null, null, null, false, null, List.of(), null, prompt, model, options, false,
        extras, openAi);
  }
}
