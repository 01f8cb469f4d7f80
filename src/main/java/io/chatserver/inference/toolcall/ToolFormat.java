package io.chatserver.inference.toolcall;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * How a model family writes tool calls, as its chat template teaches it, and how to read them
 * back (the parsers vLLM names hermes, llama3_json, mistral; and Gemma's own):
 * <ul>
 * <li>{@link #HERMES} (Qwen 2.5/3, SmolLM3, Hermes): {@code <tool_call>{"name": .., "arguments": {..}}</tool_call>}, repeated;
 * <li>{@link #LLAMA3_JSON} (Llama 3.1-3.3): the answer is {@code {"name": .., "parameters": {..}}} (optionally after
 * {@code <|python_tag|>}), several joined by {@code ;};
 * <li>{@link #MISTRAL}: {@code [TOOL_CALLS][{"name": .., "arguments": {..}}, ..]};
 * <li>{@link #GEMMA}: {@code <|tool_call>call:name{key:value,..}<tool_call|>} with strings between {@code <|"|>}.
 * </ul>
 * Text that only looks like a call, or a malformed one, stays text.
 */
public enum ToolFormat {
  HERMES("<tool_call>", "</tool_call>"),
  LLAMA3_JSON("{", null),
  MISTRAL("[TOOL_CALLS]", null),
  GEMMA("<|tool_call>", "<tool_call|>");

  /** Where a call starts; for LLAMA3_JSON only at the very start of the answer. */
  final String open;
  /** Where one call ends (null: at the end of the answer). */
  final String close;

  ToolFormat(String open, String close) {
    this.open = open;
    this.close = close;
  }

  /** The text that opens a call (for Mistral, its special token's). */
  public String marker() {
    return open;
  }

  /** A tool call read from the model's text: the function's name and its arguments as a JSON text. */
  public record Call(String name, String arguments) {}

  /** The format a chat template uses, or null when it shows none. */
  public static ToolFormat of(String template) {
    if (template == null) {
      return null;
    }
    if (template.contains("<tool_call>")) {
      return HERMES;
    }
    if (template.contains("[TOOL_CALLS]")) {
      return MISTRAL;
    }
    if (template.contains("<|tool_call>")) {
      return GEMMA;
    }
    if (template.contains("\"parameters\"") || template.contains("<|python_tag|>")) {
      return LLAMA3_JSON;
    }
    return null;
  }

  /** The calls in one region (from {@link #open} to {@link #close}, markers included), or null when it is not one. */
  List<Call> parse(String region) {
    try {
      switch (this) {
        case HERMES: {
          String body = region.substring(open.length(), region.length() - close.length()).strip();
          Call c = call(new JsonObject(body), "arguments");
          return c == null ? null : List.of(c);
        }
        case MISTRAL: {
          String body = region.substring(open.length()).strip();
          List<Call> out = new ArrayList<>();
          for (Object o : new JsonArray(body)) {
            Call c = o instanceof JsonObject j ? call(j, "arguments") : null;
            if (c == null) {
              return null;
            }
            out.add(c);
          }
          return out.isEmpty() ? null : out;
        }
        case LLAMA3_JSON: {
          List<Call> out = new ArrayList<>();
          for (String part : splitTopLevel(region.strip(), ';')) {
            Call c = call(new JsonObject(part.strip()), "parameters");
            if (c == null) {
              return null;
            }
            out.add(c);
          }
          return out.isEmpty() ? null : out;
        }
        case GEMMA: {
          String body = region.substring(open.length(), region.length() - close.length()).strip();
          if (!body.startsWith("call:")) {
            return null;
          }
          int brace = body.indexOf('{');
          if (brace < 0 || !body.endsWith("}")) {
            return null;
          }
          String name = body.substring("call:".length(), brace).strip();
          GemmaArgs reader = new GemmaArgs(body, brace);
          Object args = reader.value();
          if (name.isEmpty() || !(args instanceof JsonObject) || reader.pos != body.length()) {
            return null;
          }
          return List.of(new Call(name, ((JsonObject) args).encode()));
        }
        default:
          return null;
      }
    } catch (RuntimeException e) {
      return null; // not JSON, not the right shape: the text stays text
    }
  }

  private static Call call(JsonObject o, String argumentsKey) {
    if (!(o.getValue("name") instanceof String name) || name.isBlank()) {
      return null;
    }
    Object args = o.getValue(argumentsKey);
    if (args == null && o.getValue("arguments") != null) {
      args = o.getValue("arguments");
    }
    if (args instanceof String s) {
      new JsonObject(s); // arguments given as a JSON text must be a JSON object
      return new Call(name, s);
    }
    if (args == null) {
      return new Call(name, "{}");
    }
    if (!(args instanceof JsonObject obj)) {
      return null;
    }
    return new Call(name, obj.encode());
  }

  /** Splits on {@code sep} outside strings, braces and brackets. */
  static List<String> splitTopLevel(String s, char sep) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    boolean inString = false;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        depth--;
      } else if (c == sep && depth == 0) {
        out.add(s.substring(start, i));
        start = i + 1;
      }
    }
    out.add(s.substring(start));
    out.removeIf(String::isBlank);
    return out;
  }

  /** Gemma's argument notation: {key:value,...}, [..], <|"|>strings<|"|>, numbers, true/false/null. */
  private static final class GemmaArgs {
    private static final String QUOTE = "<|\"|>";
    private final String s;
    private int pos;

    GemmaArgs(String s, int pos) {
      this.s = s;
      this.pos = pos;
    }

    Object value() {
      if (s.startsWith(QUOTE, pos)) {
        int end = s.indexOf(QUOTE, pos + QUOTE.length());
        if (end < 0) {
          throw new IllegalArgumentException("unclosed string");
        }
        String v = s.substring(pos + QUOTE.length(), end);
        pos = end + QUOTE.length();
        return v;
      }
      char c = s.charAt(pos);
      if (c == '{') {
        pos++;
        JsonObject o = new JsonObject();
        while (s.charAt(pos) != '}') {
          int colon = s.indexOf(':', pos);
          String key = s.substring(pos, colon).strip();
          if (key.startsWith(QUOTE) && key.endsWith(QUOTE)) {
            key = key.substring(QUOTE.length(), key.length() - QUOTE.length());
          }
          pos = colon + 1;
          o.put(key, value());
          if (s.charAt(pos) == ',') {
            pos++;
          }
        }
        pos++;
        return o;
      }
      if (c == '[') {
        pos++;
        JsonArray a = new JsonArray();
        while (s.charAt(pos) != ']') {
          a.add(value());
          if (s.charAt(pos) == ',') {
            pos++;
          }
        }
        pos++;
        return a;
      }
      int end = pos;
      while (end < s.length() && ",}]".indexOf(s.charAt(end)) < 0) {
        end++;
      }
      String word = s.substring(pos, end).strip();
      pos = end;
      return switch (word) {
        case "true" -> Boolean.TRUE;
        case "false" -> Boolean.FALSE;
        case "null" -> null;
        default -> word.contains(".") || word.contains("e") ? (Object) Double.parseDouble(word) : (Object) Long.parseLong(word);
      };
    }
  }
}
