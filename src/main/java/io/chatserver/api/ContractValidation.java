package io.chatserver.api;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks every JSON request body against the schema the OpenAPI contract (openapi.yaml) gives its
 * operation, before the route sees it: what the document says is what is enforced, so the two
 * cannot drift. A body that breaks the contract is a 400 naming the field (422 for operations
 * whose documented answer to a bad document is 422, like imports). What the contract cannot
 * express (cross-field rules, lookups) stays in the routes. A query parameter the operation does
 * not document is a 400 too: an ignored filter could widen what a request does.
 */
public final class ContractValidation implements Handler<RoutingContext> {

  private static final String BASE = "app:///openapi.json";

  /** One documented operation that takes a JSON body. */
  private record Operation(HttpMethod method, Pattern path, Validator validator, boolean unprocessable) {}

  /** The query parameters one documented operation takes: any other is a 400, not silently ignored. */
  private record QueryRule(HttpMethod method, Pattern path, java.util.Set<String> names) {}

  private final List<Operation> operations = new ArrayList<>();
  private final List<QueryRule> queries = new ArrayList<>();
  private volatile boolean sorted;

  public ContractValidation(JsonObject document) {
    JsonObject doc = document.copy();
    nullable(doc);
    JsonSchemaOptions options = new JsonSchemaOptions().setDraft(Draft.DRAFT4).setBaseUri(BASE)
        .setOutputFormat(OutputFormat.Basic);
    SchemaRepository repo = SchemaRepository.create(options);
    repo.dereference(BASE, JsonSchema.of(doc));
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      if (!(paths.getValue(path) instanceof JsonObject item) || !path.startsWith("/")) {
        continue; // the schema repository annotates what it loads (__absolute_uri__ and the like)
      }
      Pattern pathPattern = Pattern.compile("^" + path.replaceAll("\\{[^/]+}", "[^/]+") + "$");
      for (String method : item.fieldNames()) {
        if (item.getValue(method) instanceof JsonObject op && !method.equals("parameters")) {
          java.util.Set<String> names = new java.util.TreeSet<>();
          queryNames(doc, item.getJsonArray("parameters"), names);
          queryNames(doc, op.getJsonArray("parameters"), names);
          queries.add(new QueryRule(HttpMethod.valueOf(method.toUpperCase(Locale.ROOT)), pathPattern, names));
        }
        if (!(item.getValue(method) instanceof JsonObject op) || !(op.getValue("requestBody") instanceof JsonObject)) {
          continue;
        }
        JsonObject media = op.getJsonObject("requestBody").getJsonObject("content", new JsonObject())
            .getJsonObject("application/json");
        if (media == null || media.getJsonObject("schema") == null) {
          continue;
        }
        String pointer = "#/paths/" + escape(path) + "/" + method + "/requestBody/content/application~1json/schema";
        JsonObject responses = op.getJsonObject("responses", new JsonObject());
        operations.add(new Operation(HttpMethod.valueOf(method.toUpperCase(Locale.ROOT)),
            Pattern.compile("^" + path.replaceAll("\\{[^/]+}", "[^/]+") + "$"),
            repo.validator(BASE + pointer, options), responses.containsKey("422") && !responses.containsKey("400")));
      }
    }
  }

  /** The names of the query parameters in an OpenAPI parameter list (with $refs to components/parameters). */
  private static void queryNames(JsonObject doc, JsonArray params, java.util.Set<String> into) {
    if (params == null) {
      return;
    }
    for (Object o : params) {
      JsonObject p = o instanceof JsonObject j ? j : null;
      if (p != null && p.getValue("$ref") instanceof String ref && ref.startsWith("#/components/parameters/")) {
        p = doc.getJsonObject("components", new JsonObject()).getJsonObject("parameters", new JsonObject())
            .getJsonObject(ref.substring("#/components/parameters/".length()));
      }
      if (p != null && "query".equals(p.getString("in")) && p.getString("name") != null) {
        into.add(p.getString("name"));
      }
    }
  }

  /** The first query parameter the documented operation does not take, or null (literal paths match before templated ones). */
  private String unknownQuery(RoutingContext ctx) {
    if (!sorted) {
      queries.sort(java.util.Comparator.comparing(q -> q.path().pattern().contains("[^/]+")));
      sorted = true;
    }
    for (QueryRule q : queries) {
      if (q.method().equals(ctx.request().method()) && q.path().matcher(ctx.request().path()).matches()) {
        for (String name : ctx.queryParams().names()) {
          if (!q.names().contains(name)) {
            return name;
          }
        }
        return null;
      }
    }
    return null;
  }

  private static String escape(String pathKey) {
    return pathKey.replace("~", "~0").replace("/", "~1");
  }

  @Override
  public void handle(RoutingContext ctx) {
    String unknown = ctx.queryParams().isEmpty() ? null : unknownQuery(ctx);
    if (unknown != null) {
      // a filter the route would ignore can turn a narrow delete into a wide one: refuse it
      ctx.fail(ApiError.badRequest(unknown, "unknown query parameter '" + unknown + "'"));
      return;
    }
    Operation op = find(ctx.request().method(), ctx.request().path());
    String raw = op == null || ctx.body() == null ? null : ctx.body().asString();
    String text = raw == null ? "" : raw.stripLeading(); // no body: the route says whether one was needed
    JsonObject json = null;
    if (text.startsWith("{")) {
      try {
        json = new JsonObject(text);
      } catch (RuntimeException e) {
        json = null; // not JSON: the route answers invalid_json
      }
    }
    if (json == null) {
      ctx.next();
      return;
    }
    OutputUnit result = op.validator().validate(json);
    if (Boolean.TRUE.equals(result.getValid())) {
      ctx.next();
      return;
    }
    OutputUnit first = mostPrecise(result);
    String field = field(first.getInstanceLocation());
    String message = (field == null ? "request body" : field) + ": " + describe(first);
    ctx.fail(op.unprocessable() ? new ApiError(422, "unprocessable", message, field) : ApiError.badRequest(field, message));
  }

  private Operation find(HttpMethod method, String path) {
    for (Operation op : operations) {
      if (op.method().equals(method) && op.path().matcher(path).matches()) {
        return op;
      }
    }
    return null;
  }

  /** OpenAPI 3.0's {@code nullable: true} as JSON Schema says it: null is one of the allowed types (and enum values). */
  static void nullable(Object node) {
    if (node instanceof JsonObject o) {
      if (Boolean.TRUE.equals(o.getValue("nullable")) && o.getValue("type") instanceof String type) {
        o.remove("nullable");
        o.put("type", new JsonArray().add(type).add("null"));
        if (o.getValue("enum") instanceof JsonArray values && !values.contains(null)) {
          values.addNull();
        }
      }
      for (String key : o.fieldNames()) {
        nullable(o.getValue(key));
      }
    } else if (node instanceof JsonArray a) {
      a.forEach(ContractValidation::nullable);
    }
  }

  /** A JSON pointer as the API names fields: /messages/0/role is messages[0].role. */
  static String field(String pointer) {
    String p = pointer == null ? "" : pointer.replaceFirst("^#?/?", "");
    if (p.isEmpty()) {
      return null;
    }
    StringBuilder out = new StringBuilder();
    for (String part : p.split("/")) {
      String name = part.replace("~1", "/").replace("~0", "~");
      if (name.matches("\\d+")) {
        out.append('[').append(name).append(']');
      } else {
        out.append(out.length() == 0 ? "" : ".").append(name);
      }
    }
    return out.toString();
  }

  /** The error at the deepest place in the body, and of those the deepest in the schema: the most precise one. */
  private static OutputUnit mostPrecise(OutputUnit unit) {
    List<OutputUnit> errors = unit.getErrors();
    if (errors == null || errors.isEmpty()) {
      return unit;
    }
    OutputUnit best = errors.get(0);
    for (OutputUnit e : errors) {
      if (depth(e.getInstanceLocation()) > depth(best.getInstanceLocation())
          || depth(e.getInstanceLocation()) == depth(best.getInstanceLocation())
          && depth(e.getKeywordLocation()) > depth(best.getKeywordLocation())) {
        best = e;
      }
    }
    return best;
  }

  private static int depth(String pointer) {
    return pointer == null ? -1 : pointer.length();
  }

  private static String describe(OutputUnit unit) {
    String error = unit.getError() == null ? "is not valid" : unit.getError();
    return error.substring(0, 1).toLowerCase(Locale.ROOT) + error.substring(1);
  }
}
