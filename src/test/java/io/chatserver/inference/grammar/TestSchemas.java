package io.chatserver.inference.grammar;

import io.vertx.core.json.JsonObject;

import java.util.List;

/** Schemas of every kind the grammar follows, and a validator (vertx-json-schema) for what comes out. */
public final class TestSchemas {

  private TestSchemas() {}

  /** Schemas of every kind the grammar follows; the random-weight models must answer each with valid JSON. */
  public static final List<JsonObject> SCHEMAS = List.of(
      new JsonObject("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"unit\":{\"enum\":[\"celsius\",\"fahrenheit\"]}},\"required\":[\"city\",\"unit\"],\"additionalProperties\":false}"),
      new JsonObject("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":8},\"age\":{\"type\":\"integer\",\"minimum\":18,\"maximum\":99}},\"required\":[\"name\",\"age\"]}"),
      new JsonObject("{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"},\"note\":{\"type\":\"null\"},\"score\":{\"type\":\"number\"}},\"required\":[\"ok\",\"note\",\"score\"]}"),
      new JsonObject("{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":-5,\"maximum\":5},\"minItems\":2,\"maxItems\":4}"),
      new JsonObject("{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":5},\"maxItems\":3},\"id\":{\"const\":\"x-1\"}},\"required\":[\"id\"]}"),
      new JsonObject("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"string\"},\"c\":{\"type\":\"integer\"}},\"required\":[\"c\"],\"additionalProperties\":false}"),
      new JsonObject("{\"type\":\"object\",\"properties\":{\"point\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"},\"y\":{\"type\":\"integer\"}},\"required\":[\"x\",\"y\"]}},\"required\":[\"point\"]}"),
      new JsonObject("{\"anyOf\":[{\"type\":\"string\",\"maxLength\":4},{\"type\":\"integer\",\"minimum\":1000}]}"),
      new JsonObject("{\"$defs\":{\"item\":{\"type\":\"object\",\"properties\":{\"sku\":{\"type\":\"string\",\"maxLength\":6},\"qty\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":9}},\"required\":[\"sku\",\"qty\"]}},\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/item\"},\"minItems\":1,\"maxItems\":2}},\"required\":[\"items\"]}"),
      new JsonObject("{\"type\":\"object\",\"properties\":{\"quote\":{\"type\":\"string\",\"minLength\":3}},\"required\":[\"quote\"]}"),
      new JsonObject("{\"type\":[\"integer\",\"null\"]}"),
      new JsonObject("{\"type\":\"object\",\"properties\":{\"level\":{\"enum\":[1,2,3]},\"label\":{\"enum\":[\"low\",\"mid\",\"high\"]}},\"required\":[\"level\",\"label\"]}"));

  public static boolean valid(JsonObject schema, Object value) {
    io.vertx.json.schema.JsonSchemaOptions options = new io.vertx.json.schema.JsonSchemaOptions()
        .setDraft(io.vertx.json.schema.Draft.DRAFT202012).setBaseUri("app:///").setOutputFormat(io.vertx.json.schema.OutputFormat.Basic);
    return io.vertx.json.schema.Validator.create(io.vertx.json.schema.JsonSchema.of(schema.copy()), options).validate(value).getValid();
  }

}
