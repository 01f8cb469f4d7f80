package io.chatserver.inference.grammar;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON Schema into the {@link SchemaNode}s generation follows: objects (properties in
 * their order, required and optional, {@code additionalProperties}), arrays ({@code items},
 * {@code minItems}/{@code maxItems}), strings ({@code minLength}/{@code maxLength}), numbers,
 * integers ({@code minimum}/{@code maximum}, exclusive ones too), booleans, null, {@code enum},
 * {@code const}, {@code anyOf}, {@code type} lists and {@code $ref} to {@code $defs}. Anything
 * else is an {@link Unsupported} naming the keyword and where it is.
 */
public final class JsonSchemas {

  /** A schema feature generation cannot guarantee; the message names it and its place. */
  public static final class Unsupported extends RuntimeException {
    public Unsupported(String message) {
      super(message, null, false, false);
    }
  }

  private static final Set<String> NOTES = Set.of("title", "description", "default", "examples", "$schema", "$id", "$comment",
      "deprecated", "readOnly", "writeOnly");
  private static final int MAX_NODES = 10_000;

  private final JsonObject root;
  private final Map<String, SchemaNode.Ref> refs = new HashMap<>();
  private int nodes;

  private JsonSchemas(JsonObject root) {
    this.root = root;
  }

  /** The grammar of a schema; {@code null} for any JSON object (json_object mode). */
  public static SchemaNode compile(JsonObject schema) {
    if (schema == null) {
      return new SchemaNode.FreeObj();
    }
    JsonSchemas c = new JsonSchemas(schema);
    SchemaNode node = c.node(schema, "#");
    for (SchemaNode.Ref r : c.refs.values()) {
      if (r.target == null) {
        throw new Unsupported("$ref " + r.name + " could not be resolved");
      }
    }
    return node;
  }

  private SchemaNode node(Object value, String at) {
    if (++nodes > MAX_NODES) {
      throw new Unsupported("the schema is too large (over " + MAX_NODES + " nodes)");
    }
    if (Boolean.TRUE.equals(value)) {
      return new SchemaNode.Any();
    }
    if (!(value instanceof JsonObject s)) {
      throw new Unsupported(at + ": a schema must be an object");
    }
    for (String key : s.fieldNames()) {
      if (!NOTES.contains(key) && !KNOWN.contains(key)) {
        throw new Unsupported(at + ": '" + key + "' is not supported");
      }
    }
    if (s.getValue("$ref") instanceof String ref) {
      return ref(ref, at);
    }
    if (s.containsKey("const")) {
      return literals(List.of(s.getValue("const")));
    }
    if (s.getValue("enum") instanceof JsonArray values) {
      if (values.isEmpty()) {
        throw new Unsupported(at + ": enum is empty");
      }
      return literals(values.getList());
    }
    if (s.getValue("anyOf") instanceof JsonArray options) {
      List<SchemaNode> out = new ArrayList<>();
      for (int i = 0; i < options.size(); i++) {
        out.add(node(options.getValue(i), at + "/anyOf/" + i));
      }
      return out.size() == 1 ? out.get(0) : new SchemaNode.AnyOf(out);
    }
    Object type = s.getValue("type");
    if (type instanceof JsonArray types) {
      List<SchemaNode> out = new ArrayList<>();
      for (Object t : types) {
        out.add(typed(String.valueOf(t), s, at));
      }
      return out.size() == 1 ? out.get(0) : new SchemaNode.AnyOf(out);
    }
    if (type == null) {
      if (s.containsKey("properties")) {
        return typed("object", s, at);
      }
      if (s.containsKey("items")) {
        return typed("array", s, at);
      }
      return new SchemaNode.Any();
    }
    return typed(String.valueOf(type), s, at);
  }

  private static final Set<String> KNOWN = Set.of("type", "properties", "required", "additionalProperties", "items", "minItems",
      "maxItems", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum", "const",
      "anyOf", "$ref", "$defs", "definitions");

  private SchemaNode typed(String type, JsonObject s, String at) {
    switch (type) {
      case "object": {
        JsonObject props = s.getJsonObject("properties");
        Object additional = s.getValue("additionalProperties");
        if (props == null || props.isEmpty()) {
          if (Boolean.FALSE.equals(additional)) {
            return literals(List.of(new JsonObject()));
          }
          if (additional == null || Boolean.TRUE.equals(additional)) {
            return new SchemaNode.FreeObj();
          }
          throw new Unsupported(at + ": additionalProperties with a schema is not supported");
        }
        List<String> required = new ArrayList<>();
        if (s.getValue("required") instanceof JsonArray r) {
          r.forEach(x -> required.add(String.valueOf(x)));
        }
        for (String name : required) {
          if (!props.containsKey(name)) {
            throw new Unsupported(at + ": required property '" + name + "' has no schema in properties");
          }
        }
        List<SchemaNode.Prop> list = new ArrayList<>();
        int min = 2;
        boolean first = true;
        for (String name : props.fieldNames()) {
          SchemaNode value = node(props.getValue(name), at + "/properties/" + name);
          SchemaNode.Prop p = SchemaNode.Prop.of(name, value, required.contains(name));
          list.add(p);
          if (p.required()) {
            min += p.key().length + value.minBytes() + (first ? 0 : 1);
            first = false;
          }
        }
        return new SchemaNode.Obj(list, min);
      }
      case "array": {
        SchemaNode items = s.containsKey("items") ? node(s.getValue("items"), at + "/items") : new SchemaNode.Any();
        int minItems = integer(s, "minItems", 0, at);
        int maxItems = integer(s, "maxItems", Integer.MAX_VALUE, at);
        if (maxItems < minItems) {
          throw new Unsupported(at + ": maxItems is below minItems");
        }
        return new SchemaNode.Arr(items, minItems, maxItems);
      }
      case "string": {
        int min = integer(s, "minLength", 0, at);
        int max = integer(s, "maxLength", Integer.MAX_VALUE, at);
        if (max < min) {
          throw new Unsupported(at + ": maxLength is below minLength");
        }
        return new SchemaNode.Str(min, max);
      }
      case "integer":
      case "number": {
        boolean integer = type.equals("integer");
        BigInteger min = bound(s, "minimum", "exclusiveMinimum", true, at);
        BigInteger max = bound(s, "maximum", "exclusiveMaximum", false, at);
        if (!integer && (min != null || max != null)) {
          throw new Unsupported(at + ": minimum/maximum on a number is not supported (they are on an integer)");
        }
        if (min != null && max != null && min.compareTo(max) > 0) {
          throw new Unsupported(at + ": no integer lies between minimum and maximum");
        }
        return new SchemaNode.Num(integer, min, max);
      }
      case "boolean":
        return literals(List.of(true, false));
      case "null":
        return literals(java.util.Collections.singletonList(null));
      default:
        throw new Unsupported(at + ": type '" + type + "' is not supported");
    }
  }

  private static int integer(JsonObject s, String key, int dflt, String at) {
    Object v = s.getValue(key);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new Unsupported(at + ": " + key + " must be a non-negative integer");
    }
    return (int) Math.min(Integer.MAX_VALUE, n.longValue());
  }

  /** An integer bound: minimum (ceiling) or maximum (floor), exclusive ones moved by one. */
  private static BigInteger bound(JsonObject s, String inclusive, String exclusive, boolean lower, String at) {
    BigInteger out = null;
    for (String key : new String[] {inclusive, exclusive}) {
      Object v = s.getValue(key);
      if (v == null || v instanceof Boolean) {
        continue;
      }
      if (!(v instanceof Number n)) {
        throw new Unsupported(at + ": " + key + " must be a number");
      }
      BigDecimal d = new BigDecimal(n.toString());
      BigInteger b = lower ? d.setScale(0, RoundingMode.CEILING).toBigInteger() : d.setScale(0, RoundingMode.FLOOR).toBigInteger();
      if (key.equals(exclusive) && d.compareTo(new BigDecimal(b)) == 0) {
        b = lower ? b.add(BigInteger.ONE) : b.subtract(BigInteger.ONE);
      }
      out = out == null ? b : lower ? out.max(b) : out.min(b);
    }
    return out;
  }

  private SchemaNode literals(List<Object> values) {
    List<byte[]> texts = new ArrayList<>();
    for (Object v : values) {
      texts.add(compact(v).getBytes(StandardCharsets.UTF_8));
    }
    return new SchemaNode.Literals(texts);
  }

  /** A value as compact JSON text. */
  static String compact(Object v) {
    if (v == null) {
      return "null";
    }
    return io.vertx.core.json.Json.encode(v);
  }

  private SchemaNode ref(String ref, String at) {
    String name;
    JsonObject defs;
    if (ref.startsWith("#/$defs/")) {
      name = ref.substring("#/$defs/".length());
      defs = root.getJsonObject("$defs");
    } else if (ref.startsWith("#/definitions/")) {
      name = ref.substring("#/definitions/".length());
      defs = root.getJsonObject("definitions");
    } else if (ref.equals("#")) {
      name = "#";
      defs = null;
    } else {
      throw new Unsupported(at + ": $ref " + ref + " is not supported (#/$defs/... and #/definitions/... are)");
    }
    SchemaNode.Ref r = refs.get(ref);
    if (r != null) {
      return r;
    }
    r = new SchemaNode.Ref(ref);
    refs.put(ref, r);
    Object target = name.equals("#") ? root : defs == null ? null : defs.getValue(name);
    if (target == null) {
      throw new Unsupported(at + ": $ref " + ref + " names nothing");
    }
    r.target = node(target, ref);
    return r;
  }
}
