package io.chatserver.chat;

import io.chatserver.api.Body;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * Adds a user message and starts its answer ({@code body}: content, parentId?, model?, options?);
 * answers {jobId, assistantMessageId, model, message, stream}. Implemented by generation, so the chat
 * routes own {@code POST /api/chats/{chatId}/messages} without depending on generation.
 */
public interface ChatAnswerer {
  Future<JsonObject> answer(UUID user, UUID chatId, Body body);
}
