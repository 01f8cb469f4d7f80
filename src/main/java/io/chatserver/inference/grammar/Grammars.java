package io.chatserver.inference.grammar;

import io.chatserver.inference.toolcall.ToolFormat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The grammar a job asks for ({@code grammar} on the job protocol): {@code {type: "json_object"}}
 * (any JSON object), {@code {type: "json_schema", schema}}, or {@code {type: "tool", tools}} (a
 * call of one of these tools, written as the model's family writes calls, its arguments following
 * the tool's parameters schema).
 */
public final class Grammars {

  private Grammars() {}

  /** The grammar's root; a JsonSchemas.Unsupported names what cannot be followed. */
  public static SchemaNode of(JsonObject grammar, ToolFormat format) {
    String type = grammar.getString("type", "");
    switch (type) {
      case "json_object":
        return new SchemaNode.FreeObj();
      case "json_schema":
        return JsonSchemas.compile(grammar.getJsonObject("schema", new JsonObject()));
      case "tool": {
        if (format != ToolFormat.HERMES && format != ToolFormat.LLAMA3_JSON && format != ToolFormat.MISTRAL) {
          throw new JsonSchemas.Unsupported("a required tool call is not supported for this model's tool-call format ("
              + (format == null ? "none" : format.name().toLowerCase()) + "; Hermes-style, Llama 3 JSON and Mistral are)");
        }
        String argumentsKey = format == ToolFormat.LLAMA3_JSON ? "parameters" : "arguments";
        List<SchemaNode> calls = new ArrayList<>();
        for (Object o : grammar.getJsonArray("tools", new JsonArray())) {
          JsonObject fn = ((JsonObject) o).getJsonObject("function", new JsonObject());
          JsonObject params = fn.getJsonObject("parameters");
          SchemaNode args = params == null ? new SchemaNode.FreeObj() : JsonSchemas.compile(params);
          SchemaNode name = new SchemaNode.Literals(List.of(JsonSchemas.compact(fn.getString("name")).getBytes(StandardCharsets.UTF_8)));
          List<SchemaNode.Prop> props = List.of(SchemaNode.Prop.of("name", name, true), SchemaNode.Prop.of(argumentsKey, args, true));
          int min = 2 + props.get(0).key().length + name.minBytes() + 1 + props.get(1).key().length + args.minBytes();
          calls.add(new SchemaNode.Obj(props, min));
        }
        if (calls.isEmpty()) {
          throw new JsonSchemas.Unsupported("no tool to call");
        }
        SchemaNode call = calls.size() == 1 ? calls.get(0) : new SchemaNode.AnyOf(calls);
        return switch (format) {
          case HERMES -> new SchemaNode.Wrapped("<tool_call>\n".getBytes(StandardCharsets.UTF_8), call,
              "\n</tool_call>".getBytes(StandardCharsets.UTF_8));
          // after [TOOL_CALLS]: written here when it is text, put at the end of the prompt when it is a special token
          case MISTRAL -> new SchemaNode.Wrapped((grammar.getBoolean("afterMarker", false) ? "[" : "[TOOL_CALLS][")
              .getBytes(StandardCharsets.UTF_8), call, "]".getBytes(StandardCharsets.UTF_8));
          default -> call;
        };
      }
      default:
        throw new JsonSchemas.Unsupported("grammar type '" + type + "' is not known");
    }
  }
}
