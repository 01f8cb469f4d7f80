package io.chatserver.generation;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The tools a request offers the model and how it may use them, read the same way for
 * {@code /v1/chat/completions} and {@code /api/chat}: OpenAI's {@code tools} (each {type:
 * "function", function: {name, description?, parameters?}}) and {@code tool_choice} ("auto",
 * "none", "required" or {type: "function", function: {name}}). A forced call ("required" or a named
 * function) makes the answer follow a grammar of the allowed calls.
 */
public final class Tools {

  private Tools() {}

  /**
   * Puts what the worker needs into {@code payload} (tools, toolChoice, grammar) and the OpenAI
   * parameters for an upstream's model into {@code openai}; a 400 naming the field for bad ones.
   */
  public static void offer(Body body, JsonObject payload, JsonObject openai) {
    JsonArray tools = body.optionalArray("tools");
    if (tools != null) {
      for (int i = 0; i < tools.size(); i++) {
        if (!(tools.getValue(i) instanceof JsonObject t) || !"function".equals(t.getString("type"))
            || !(t.getValue("function") instanceof JsonObject f) || !(f.getValue("name") instanceof String name) || name.isBlank()) {
          throw ApiError.badRequest("tools[" + i + "]", "tools[" + i + "] must be {type: \"function\", function: {name, description?, parameters?}}");
        }
      }
      payload.put("tools", tools);
      openai.put("tools", tools);
    }
    Object choice = body.json().getValue("tool_choice");
    if (choice != null) {
      boolean plain = "auto".equals(choice) || "none".equals(choice);
      if (!plain && !"required".equals(choice) && !(choice instanceof JsonObject)) {
        throw ApiError.badRequest("tool_choice", "tool_choice must be \"auto\", \"none\", \"required\" or {type: \"function\", function: {name}}");
      }
      openai.put("tool_choice", choice);
      if (plain) {
        payload.put("toolChoice", choice);
      } else {
        // a call is forced: the answer follows a grammar of the named tool's (or any tool's) call
        JsonArray offered = tools == null ? new JsonArray() : tools;
        String named = choice instanceof JsonObject o && o.getValue("function") instanceof JsonObject f ? f.getString("name") : null;
        JsonArray callable = new JsonArray();
        offered.forEach(t -> {
          if (named == null || named.equals(((JsonObject) t).getJsonObject("function").getString("name"))) {
            callable.add(t);
          }
        });
        if (callable.isEmpty()) {
          throw ApiError.badRequest("tool_choice", named == null ? "tool_choice \"required\" needs tools"
              : "tool_choice names '" + named + "', which is not among the tools");
        }
        payload.put("toolChoice", "required").put("grammar", new JsonObject().put("type", "tool").put("tools", callable));
      }
    }
  }
}
