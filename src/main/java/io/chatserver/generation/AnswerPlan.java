package io.chatserver.generation;

import io.chatserver.search.WebSearch;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What an answer will be, decided in one place ({@link ChatAnswers#plan}) for every face: the
 * model, the sampling options (the user's defaults under the bot's under the request's), the
 * worker's payload (system prompt, history with attached files, web passages, tools, ...), the
 * web search it is grounded in, and where its text is saved once a worker accepted it
 * ({@code userMessage}: the user message that saving created, once it did; null for other kinds).
 */
record AnswerPlan(AnswerRequest request, String model, JsonObject options, JsonObject payload, boolean trimLeading,
                  WebSearch.Outcome found, Function<JobRef, Future<GenerationService.Saved>> save,
                  Supplier<JsonObject> userMessage) {

  GenerationService.Spec spec() {
    return new GenerationService.Spec(request.user(), model, payload, options, trimLeading, save,
        found == null ? null : found.events());
  }
}
