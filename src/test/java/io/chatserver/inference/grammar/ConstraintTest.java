package io.chatserver.inference.grammar;

import io.chatserver.inference.SharedModels;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The grammar on a real 151k-token vocabulary (Qwen's), driven by a "model" that picks any allowed
 * token at random: whatever it picks, the text is JSON that validates against the schema, and it
 * ends within its token budget. And the byte-level matcher on the cases that are easy to get wrong.
 */
class ConstraintTest {

  static final long EOS = 151645;
  static TokenBytes vocab;

  @BeforeAll
  static void readVocabulary() throws IOException {
    String json = Files.readString(SharedModels.sharedDir().resolve("families/qwen3/tokenizer.json"));
    vocab = TokenBytes.of(json, 151936, Set.of(EOS));
  }

  /** Text a random walk over the allowed tokens writes within {@code budget} tokens. */
  static String walk(Constraint c, int budget, Random r) {
    StringBuilder out = new StringBuilder();
    byte[] bytes = new byte[0];
    for (int left = budget; left > 0; left--) {
      float[] mask = c.mask(left);
      List<Integer> ok = new ArrayList<>();
      for (int i = 0; i < mask.length; i++) {
        if (mask[i] == 0f) {
          ok.add(i);
        }
      }
      int t = ok.get(r.nextInt(ok.size()));
      if (t == EOS) {
        break;
      }
      c.accept(t);
      byte[] b = vocab.bytes(t);
      byte[] joined = new byte[bytes.length + b.length];
      System.arraycopy(bytes, 0, joined, 0, bytes.length);
      System.arraycopy(b, 0, joined, bytes.length, b.length);
      bytes = joined;
    }
    out.append(new String(bytes, StandardCharsets.UTF_8));
    assertFalse(c.broken());
    return out.toString();
  }

  @Test
  void randomTokensStillMakeValidJsonWithinTheBudget() {
    Random r = new Random(11);
    for (JsonObject schema : TestSchemas.SCHEMAS) {
      Constraint.Compiled compiled = new Constraint.Compiled(JsonSchemas.compile(schema.copy()), vocab);
      for (int trial = 0; trial < 8; trial++) {
        int budget = compiled.root.minBytes() + 2 + trial * 4; // enough even at one byte a token
        String text = walk(new Constraint(compiled), budget, r);
        Object value;
        try {
          value = Json.decodeValue(text);
        } catch (RuntimeException e) {
          throw new AssertionError("not JSON within " + budget + " tokens: " + text + " (schema " + schema + ")");
        }
        assertTrue(TestSchemas.valid(schema, value), text + " against " + schema);
      }
    }
    for (int trial = 0; trial < 20; trial++) {
      String text = walk(new Constraint(new SchemaNode.FreeObj(), vocab), 12, r);
      assertTrue(Json.decodeValue(text) instanceof JsonObject, text);
    }
  }

  static List<Matcher.State> feed(SchemaNode node, String text) {
    List<Matcher.State> s = List.of(Matcher.start(node));
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      s = Matcher.feed(s, b & 0xff);
    }
    return s;
  }

  static boolean complete(SchemaNode node, String text) {
    List<Matcher.State> s = feed(node, text);
    return !s.isEmpty() && Matcher.canFinish(s);
  }

  @Test
  void theMatcherTakesExactlyTheJsonOfTheSchema() {
    SchemaNode age = JsonSchemas.compile(new JsonObject("{\"type\":\"integer\",\"minimum\":18,\"maximum\":99}"));
    assertTrue(complete(age, "18") && complete(age, "99") && complete(age, "42"));
    assertTrue(feed(age, "7").size() == 0 || !complete(age, "7"));
    assertTrue(feed(age, "100").isEmpty() && feed(age, "-1").isEmpty() && feed(age, "018").isEmpty());
    SchemaNode s = JsonSchemas.compile(new JsonObject("{\"type\":\"string\",\"maxLength\":3}"));
    assertTrue(complete(s, "\"a\\\"é\""), "an escape and a two-byte character count one each");
    assertTrue(feed(s, "\"abcd").isEmpty());
    assertTrue(feed(s, "\"a\n").isEmpty(), "no raw control characters");
    List<Matcher.State> open = feed(s, "\"");
    assertTrue(Matcher.feed(open, 0x80).isEmpty(), "no stray continuation byte");
    assertTrue(Matcher.feed(Matcher.feed(open, 0xE0), 0x80).isEmpty(), "no overlong three-byte character");
    SchemaNode obj = JsonSchemas.compile(new JsonObject(
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"boolean\"}},\"required\":[\"b\"]}"));
    assertTrue(complete(obj, "{\"b\":true}") && complete(obj, "{\"a\":-3,\"b\":false}"));
    assertTrue(feed(obj, "{}").isEmpty() && feed(obj, "{\"c\"").isEmpty() && feed(obj, "{ \"b\"").isEmpty());
    assertEquals(6, Matcher.minCompletion(feed(obj, "{\"b\"")), "\":true}\" is the shortest way to finish");
  }

  @Test
  void unsupportedFeaturesAreNamed() {
    assertTrue(assertThrows(JsonSchemas.Unsupported.class, () -> JsonSchemas.compile(new JsonObject("{\"type\":\"string\",\"pattern\":\"a\"}")))
        .getMessage().contains("pattern"));
    assertTrue(assertThrows(JsonSchemas.Unsupported.class, () -> JsonSchemas.compile(new JsonObject("{\"allOf\":[{}]}")))
        .getMessage().contains("allOf"));
    assertTrue(assertThrows(JsonSchemas.Unsupported.class, () -> JsonSchemas.compile(new JsonObject("{\"$ref\":\"#/$defs/missing\"}")))
        .getMessage().contains("missing"));
  }
}
