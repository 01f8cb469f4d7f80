package io.chatserver.inference;

import io.chatserver.Api;
import io.chatserver.ServerTestBase;
import io.chatserver.config.AppConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The eight model-family fixtures ({@code ../shared/models/families}: tiny random weights with
 * each family's real tokenizer and chat template) served by one server, and every entry of their
 * {@code reference.json} (Hugging Face transformers' own output) checked through the HTTP
 * endpoints a user would use: /tokenize and /detokenize for the tokenizers and templates,
 * /v1/completions with token-id prompts and /v1/chat/completions for greedy generation (ids up to
 * the first step whose reference margin is below 1e-3, log probabilities within 2e-3).
 */
class FamiliesTest extends ServerTestBase {

  static final List<String> FAMILIES = List.of("llama3", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3", "smollm3");

  /**
   * The GGUF files served beside them: model name, fixture folder, file, and the family whose
   * tokenizer and template entries the file's own tokenizer and template must match.
   */
  record Gguf(String name, String folder, String file, String tokenizerOf) {}

  static final List<Gguf> GGUFS = List.of(new Gguf("llama3-q8", "llama3", "llama3-Q8_0.gguf", "llama3"),
      new Gguf("llama-gguf-q4km", "llama-gguf", "llama-gguf-Q4_K_M.gguf", "llama-gguf"),
      new Gguf("llama-gguf-q6k", "llama-gguf", "llama-gguf-Q6_K.gguf", "llama-gguf"));

  /** Every served model and the reference whose tokenizer and template entries it must match. */
  static Map<String, String> tokenizerTargets() {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    FAMILIES.forEach(f -> out.put(f, f));
    GGUFS.forEach(g -> out.put(g.name(), g.tokenizerOf()));
    return out;
  }
  /** Logits agree to about 1e-3 in float32 (the fixtures' README); the issue allows 2e-3. */
  static final double TOLERANCE = 2e-3;
  static final double MIN_MARGIN = 1e-3;

  /**
   * The families also served with each lower {@link Precision} of weights on the CPU (through
   * TorchOps; two lanes where the heads allow).
   */
  static final List<String> LOW_PRECISION_FAMILIES = List.of("llama3", "qwen2", "gemma2", "phi3");

  /**
   * Weights served in a lower precision on the CPU: the model name's suffix, the dtype, and how far
   * from transformers' float32 the log probabilities may be. bfloat16 keeps 8 bits of mantissa; int8
   * (fbgemm's dynamic quantized linear) rounds each weight to 1/127 of its row's largest and each
   * activation to 1/127 of its tensor's largest.
   */
  record Precision(String suffix, String dtype, double tolerance, double minMargin) {}

  static final List<Precision> PRECISIONS = List.of(new Precision("-bf16", "bfloat16", 0.15, 0.1),
      new Precision("-int8", "int8", 0.5, 0.3));

  private Api user;
  /** Per family: steps compared and the largest log-probability difference seen (printed at the end). */
  private static final Map<String, double[]> FIGURES = new TreeMap<>();

  static Path fixtures() {
    return SharedModels.sharedDir().resolve("families");
  }

  static JsonObject reference(String family) {
    try {
      return new JsonObject(Files.readString(fixtures().resolve(family).resolve("reference.json")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected boolean models() {
    return true;
  }

  @Override
  protected JsonObject configure(JsonObject conf) {
    JsonArray list = new JsonArray();
    for (String f : FAMILIES) {
      list.add(new JsonObject().put("name", f).put("path", fixtures().resolve(f).toString()).put("maxBatch", 2)
          .put("prefixCacheSlots", 0));
    }
    for (String f : LOW_PRECISION_FAMILIES) {
      for (Precision p : PRECISIONS) {
        list.add(new JsonObject().put("name", f + p.suffix()).put("path", fixtures().resolve(f).toString()).put("maxBatch", 2)
            .put("prefixCacheSlots", 0).put("dtype", p.dtype()).put("lanes", 2));
      }
    }
    for (Gguf g : GGUFS) {
      // transformers' GGUF loader, the reference, leaves out llama.cpp's rope_freqs (Llama 3.1+ scaling): so do we here
      list.add(new JsonObject().put("name", g.name()).put("path", fixtures().resolve(g.folder()).resolve(g.file()).toString())
          .put("maxBatch", 2).put("prefixCacheSlots", 0).put("ggufRopeFreqs", false));
    }
    AppConfig.set(conf, "models.autoImport", false);
    AppConfig.set(conf, "models.list", list);
    return conf;
  }

  @BeforeAll
  void signIn() {
    user = api.as(api.register("families"));
  }

  @TestFactory
  Stream<DynamicTest> tokenizersMatchTransformers() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Map.Entry<String, String> target : tokenizerTargets().entrySet()) {
      String family = target.getKey();
      JsonObject ref = reference(target.getValue());
      tests.add(DynamicTest.dynamicTest(family + " tokenize", () -> {
        for (Object o : ref.getJsonArray("tokenize")) {
          JsonObject t = (JsonObject) o;
          JsonObject plain = user.post("/tokenize", new JsonObject().put("model", family).put("prompt", t.getString("text"))
              .put("add_special_tokens", false)).expect(200).json();
          assertEquals(t.getJsonArray("ids"), plain.getJsonArray("tokens"), family + ": " + t.getString("text"));
          assertEquals(t.getJsonArray("ids").size(), plain.getInteger("count"));
          JsonObject special = user.post("/tokenize", new JsonObject().put("model", family).put("prompt", t.getString("text")))
              .expect(200).json();
          assertEquals(t.getJsonArray("ids_with_special"), special.getJsonArray("tokens"), family + " (special): " + t.getString("text"));
          assertTrue(special.getInteger("max_model_len") > 0);
        }
      }));
      tests.add(DynamicTest.dynamicTest(family + " detokenize", () -> {
        for (Object o : ref.getJsonArray("decode")) {
          JsonObject d = (JsonObject) o;
          JsonObject r = user.post("/detokenize", new JsonObject().put("model", family).put("tokens", d.getJsonArray("ids")))
              .expect(200).json();
          assertEquals(d.getString("text"), r.getString("prompt"), family + ": " + d.getJsonArray("ids"));
        }
      }));
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> chatTemplatesRenderAsTransformersDoes() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Map.Entry<String, String> target : tokenizerTargets().entrySet()) {
      String family = target.getKey();
      for (Object o : reference(target.getValue()).getJsonArray("templates")) {
        JsonObject t = (JsonObject) o;
        tests.add(DynamicTest.dynamicTest(family + " template " + t.getString("name"), () -> {
          JsonObject req = new JsonObject().put("model", family).put("messages", t.getJsonArray("messages"))
              .put("add_generation_prompt", t.getBoolean("add_generation_prompt"))
              .put("chat_template_kwargs", t.getJsonObject("kwargs", new JsonObject()));
          if (t.getJsonArray("tools") != null) {
            req.put("tools", t.getJsonArray("tools"));
          }
          Api.Resp r = user.post("/tokenize", req);
          if (t.getString("error") != null) {
            assertEquals(400, r.status(), r.body());
            assertTrue(r.json().getJsonObject("error").getString("message").contains(t.getString("error")), r.body());
            return;
          }
          assertEquals(200, r.status(), r.body());
          assertEquals(t.getString("rendered"), r.json().getString("prompt"));
          assertEquals(t.getJsonArray("ids"), r.json().getJsonArray("tokens"));
        }));
      }
    }
    return tests.stream();
  }

  /**
   * Tools on /v1/chat/completions reach the model's own template: the prompt the server builds for
   * each reference tool conversation (first turn, and the turn after a call and its result) has
   * exactly the template's token count; a template's refusal is a 400 with its words; a model whose
   * template has no tool calls, and a tool choice naming no offered tool, are 400s naming why.
   */
  @TestFactory
  Stream<DynamicTest> toolConversationsGoThroughTheTemplate() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Map.Entry<String, String> target : tokenizerTargets().entrySet()) {
      String model = target.getKey();
      for (Object o : reference(target.getValue()).getJsonArray("templates")) {
        JsonObject t = (JsonObject) o;
        if (t.getJsonArray("tools") == null || !t.getBoolean("add_generation_prompt")) {
          continue;
        }
        tests.add(DynamicTest.dynamicTest(model + " chat with tools: " + t.getString("name"), () -> {
          JsonObject body = new JsonObject().put("model", model).put("messages", t.getJsonArray("messages"))
              .put("tools", t.getJsonArray("tools")).put("chat_template_kwargs", t.getJsonObject("kwargs", new JsonObject()))
              .put("max_tokens", 4).put("temperature", 0);
          Api.Resp r = user.post("/v1/chat/completions", body);
          if (t.getString("error") != null) {
            assertEquals(400, r.status(), r.body());
            assertTrue(r.json().getJsonObject("error").getString("message").contains(t.getString("error")), r.body());
            return;
          }
          if (target.getValue().equals("smollm3")) {
            assertEquals(400, r.status(), "SmolLM3's template has no tool calls: " + r.body());
            return;
          }
          assertEquals(200, r.status(), r.body());
          assertEquals(t.getJsonArray("ids").size(), r.json().getJsonObject("usage").getInteger("prompt_tokens"),
              "the prompt is the template's rendering with the tools");
        }));
      }
    }
    tests.add(DynamicTest.dynamicTest("an unknown tool choice and a template without tools are refused", () -> {
      JsonObject t = reference("qwen2").getJsonArray("templates").stream().map(x -> (JsonObject) x)
          .filter(x -> x.getString("name").equals("tools_first_turn")).findFirst().orElseThrow();
      JsonObject body = new JsonObject().put("model", "qwen2").put("messages", t.getJsonArray("messages"))
          .put("tools", t.getJsonArray("tools")).put("max_tokens", 2);
      Api.Resp unknown = user.post("/v1/chat/completions", body.copy().put("tool_choice", new JsonObject().put("type", "function")
          .put("function", new JsonObject().put("name", "no_such_tool"))));
      assertEquals(400, unknown.status());
      assertEquals("tool_choice", unknown.json().getJsonObject("error").getString("param"));
      assertEquals(200, user.post("/v1/chat/completions", body.copy().put("tool_choice", "none")).status());
      Api.Resp phi = user.post("/v1/chat/completions", body.copy().put("model", "phi3"));
      assertEquals(400, phi.status());
      assertTrue(phi.json().getJsonObject("error").getString("message").contains("no tool calls"), phi.body());
      assertEquals(400, user.post("/v1/chat/completions", body.copy().put("tools", new JsonArray().add("x"))).status());
    }));
    return tests.stream();
  }

  static final List<JsonObject> SCHEMAS = io.chatserver.inference.grammar.TestSchemas.SCHEMAS;

  static boolean valid(JsonObject schema, Object value) {
    return io.chatserver.inference.grammar.TestSchemas.valid(schema, value);
  }

  /**
   * JSON output, whatever the weights: every schema answered by the random-weight models parses and
   * validates; json_object gives an object; a forced tool call gives tool_calls whose arguments
   * follow the tool's parameters, streamed and not; a schema feature the grammar cannot follow is a
   * 400 naming it.
   */
  @TestFactory
  Stream<DynamicTest> constrainedAnswersAreValidJson() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String model : List.of("qwen2", "qwen3", "llama3", "mistral", "gemma3")) {
      tests.add(DynamicTest.dynamicTest(model + " answers every schema", () -> {
        for (int i = 0; i < SCHEMAS.size(); i++) {
          JsonObject schema = SCHEMAS.get(i);
          for (double temperature : new double[] {0, 1.5}) {
            JsonObject body = new JsonObject().put("model", model).put("temperature", temperature).put("seed", i).put("max_tokens", 48)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Give me JSON.")))
                .put("response_format", new JsonObject().put("type", "json_schema")
                    .put("json_schema", new JsonObject().put("name", "s" + i).put("schema", schema).put("strict", true)));
            JsonObject r = user.post("/v1/chat/completions", body).expect(200).json();
            String text = r.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
            Object value;
            try {
              value = io.vertx.core.json.Json.decodeValue(text);
            } catch (RuntimeException e) {
              throw new AssertionError(model + " schema " + i + " at temperature " + temperature + ": not JSON: " + text);
            }
            assertTrue(valid(schema, value), model + " schema " + i + " at temperature " + temperature + ": " + text);
          }
        }
        JsonObject r = user.post("/v1/chat/completions", new JsonObject().put("model", model).put("max_tokens", 24).put("temperature", 1)
            .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "JSON please")))
            .put("response_format", new JsonObject().put("type", "json_object"))).expect(200).json();
        String text = r.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
        assertTrue(io.vertx.core.json.Json.decodeValue(text) instanceof JsonObject, text);
      }));
    }
    for (String model : List.of("qwen2", "qwen3", "llama3", "mistral")) {
      tests.add(DynamicTest.dynamicTest(model + " makes the forced tool call", () -> {
        JsonObject t = reference("qwen2").getJsonArray("templates").stream().map(x -> (JsonObject) x)
            .filter(x -> x.getString("name").equals("tools_first_turn")).findFirst().orElseThrow();
        JsonArray tools = t.getJsonArray("tools");
        JsonObject params = tools.getJsonObject(0).getJsonObject("function").getJsonObject("parameters");
        for (Object choice : List.of("required", new JsonObject().put("type", "function")
            .put("function", new JsonObject().put("name", "get_weather")))) {
          JsonObject body = new JsonObject().put("model", model).put("messages", t.getJsonArray("messages")).put("tools", tools)
              .put("tool_choice", choice).put("max_tokens", 64).put("temperature", 1).put("seed", 3);
          JsonObject r = user.post("/v1/chat/completions", body).expect(200).json();
          JsonObject choice0 = r.getJsonArray("choices").getJsonObject(0);
          assertEquals("tool_calls", choice0.getString("finish_reason"), r.encode());
          JsonObject call = choice0.getJsonObject("message").getJsonArray("tool_calls").getJsonObject(0);
          assertEquals("get_weather", call.getJsonObject("function").getString("name"));
          assertTrue(valid(params, new JsonObject(call.getJsonObject("function").getString("arguments"))), call.encode());
          // streamed: the name first, then the arguments, then finish_reason tool_calls
          String sse = user.post("/v1/chat/completions", body.copy().put("stream", true)).expect(200).body();
          assertTrue(sse.contains("\"name\":\"get_weather\"") && sse.contains("\"finish_reason\":\"tool_calls\""), sse);
        }
      }));
    }
    tests.add(DynamicTest.dynamicTest("unsupported schema features are named", () -> {
      JsonObject body = new JsonObject().put("model", "qwen2").put("max_tokens", 8)
          .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "x")))
          .put("response_format", new JsonObject().put("type", "json_schema").put("json_schema", new JsonObject().put("name", "p")
              .put("schema", new JsonObject().put("type", "string").put("pattern", "^a+$"))));
      Api.Resp r = user.post("/v1/chat/completions", body);
      assertEquals(400, r.status(), r.body());
      assertTrue(r.json().getJsonObject("error").getString("message").contains("pattern"), r.body());
    }));
    return tests.stream();
  }

  /** bfloat16 and int8 weights on the CPU: the same greedy steps within each {@link Precision}'s tolerance. */
  @TestFactory
  Stream<DynamicTest> lowerPrecisionWeightsStayCloseToTransformers() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String family : LOW_PRECISION_FAMILIES) {
      for (Precision p : PRECISIONS) {
        for (Object o : reference(family).getJsonArray("generate")) {
          JsonObject g = (JsonObject) o;
          tests.add(DynamicTest.dynamicTest(family + " " + p.dtype() + " " + g.getString("prompt"), () -> {
            JsonObject body = new JsonObject().put("model", family + p.suffix()).put("prompt", g.getJsonArray("prompt_ids"))
                .put("max_tokens", g.getInteger("max_new_tokens")).put("temperature", 0).put("ignore_eos", true)
                .put("logprobs", 5).put("return_tokens_as_token_ids", true);
            JsonObject r = user.post("/v1/completions", body).expect(200).json();
            JsonObject lp = r.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs");
            compare(family + p.suffix(), g, lp.getJsonArray("tokens").stream().map(x -> (String) x).toList(),
                lp.getJsonArray("top_logprobs"), p.tolerance(), p.minMargin());
          }));
        }
      }
    }
    tests.add(DynamicTest.dynamicTest("lower precision figures", () -> FIGURES.forEach((f, v) -> {
      if (f.endsWith("-bf16") || f.endsWith("-int8")) {
        System.out.printf("families: %s: %d steps compared, largest log-probability difference %.2e%n", f, (long) v[0], v[1]);
      }
    })));
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> greedyGenerationMatchesTransformers() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String family : FAMILIES) {
      JsonObject ref = reference(family);
      for (Object o : ref.getJsonArray("generate")) {
        JsonObject g = (JsonObject) o;
        tests.add(DynamicTest.dynamicTest(family + " completions " + g.getString("prompt"), () -> {
          JsonObject body = new JsonObject().put("model", family).put("prompt", g.getJsonArray("prompt_ids"))
              .put("max_tokens", g.getInteger("max_new_tokens")).put("temperature", 0).put("ignore_eos", true)
              .put("logprobs", 5).put("return_tokens_as_token_ids", true);
          JsonObject r = user.post("/v1/completions", body).expect(200).json();
          assertEquals(g.getJsonArray("prompt_ids").size(), r.getJsonObject("usage").getInteger("prompt_tokens"));
          JsonObject lp = r.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs");
          compare(family, g, lp.getJsonArray("tokens").stream().map(x -> (String) x).toList(), lp.getJsonArray("top_logprobs"));
        }));
      }
      // the same conversations through the chat endpoint: the server renders the template itself
      for (Object o : ref.getJsonArray("generate")) {
        JsonObject g = (JsonObject) o;
        JsonObject template = ref.getJsonArray("templates").stream().map(x -> (JsonObject) x)
            .filter(t -> t.getString("name").equals(g.getString("prompt"))).findFirst().orElse(null);
        if (template == null || !template.getBoolean("add_generation_prompt")) {
          continue;
        }
        tests.add(DynamicTest.dynamicTest(family + " chat " + g.getString("prompt"), () -> {
          JsonObject body = new JsonObject().put("model", family).put("messages", template.getJsonArray("messages"))
              .put("chat_template_kwargs", template.getJsonObject("kwargs", new JsonObject()))
              .put("max_tokens", g.getInteger("max_new_tokens")).put("temperature", 0).put("ignore_eos", true)
              .put("logprobs", true).put("top_logprobs", 5).put("return_tokens_as_token_ids", true);
          JsonObject r = user.post("/v1/chat/completions", body).expect(200).json();
          assertEquals(g.getJsonArray("prompt_ids").size(), r.getJsonObject("usage").getInteger("prompt_tokens"),
              "the server's prompt is the template's rendering, token for token");
          JsonArray content = r.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs").getJsonArray("content");
          List<String> tokens = new ArrayList<>();
          JsonArray tops = new JsonArray();
          for (Object c : content) {
            JsonObject e = (JsonObject) c;
            tokens.add(e.getString("token"));
            JsonObject top = new JsonObject();
            e.getJsonArray("top_logprobs").forEach(t -> top.put(((JsonObject) t).getString("token"), ((JsonObject) t).getDouble("logprob")));
            tops.add(top);
          }
          compare(family, g, tokens, tops);
        }));
      }
      if (ref.getJsonObject("fim") != null) {
        JsonObject fim = ref.getJsonObject("fim");
        tests.add(DynamicTest.dynamicTest(family + " fill-in-the-middle", () -> {
          JsonObject body = new JsonObject().put("model", family).put("prompt", fim.getString("prefix"))
              .put("suffix", fim.getString("suffix")).put("max_tokens", fim.getJsonArray("ids").size()).put("temperature", 0)
              .put("ignore_eos", true).put("logprobs", 5).put("return_tokens_as_token_ids", true);
          JsonObject r = user.post("/v1/completions", body).expect(200).json();
          assertEquals(fim.getJsonArray("prompt_ids").size(), r.getJsonObject("usage").getInteger("prompt_tokens"));
          JsonObject lp = r.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs");
          compare(family, fim, lp.getJsonArray("tokens").stream().map(x -> (String) x).toList(), lp.getJsonArray("top_logprobs"));
        }));
      }
    }
    for (Gguf gguf : GGUFS) {
      for (Object o : reference(gguf.folder()).getJsonArray("gguf")) {
        JsonObject g = (JsonObject) o;
        if (!g.getString("file").equals(gguf.file())) {
          continue;
        }
        tests.add(DynamicTest.dynamicTest(gguf.name() + " (" + g.getString("type") + ") completions", () -> {
          JsonObject body = new JsonObject().put("model", gguf.name()).put("prompt", g.getJsonArray("prompt_ids"))
              .put("max_tokens", g.getInteger("max_new_tokens")).put("temperature", 0).put("ignore_eos", true)
              .put("logprobs", 5).put("return_tokens_as_token_ids", true);
          JsonObject r = user.post("/v1/completions", body).expect(200).json();
          JsonObject lp = r.getJsonArray("choices").getJsonObject(0).getJsonObject("logprobs");
          compare(gguf.name(), g, lp.getJsonArray("tokens").stream().map(x -> (String) x).toList(), lp.getJsonArray("top_logprobs"));
        }));
      }
    }
    tests.add(DynamicTest.dynamicTest("figures", () -> FIGURES.forEach((f, v) ->
        System.out.printf("families: %s: %d steps compared, largest log-probability difference %.2e%n", f, (long) v[0], v[1]))));
    return tests.stream();
  }

  /**
   * Our greedy tokens ("token_id:N") and top log probabilities against the reference steps, up to
   * the first step whose margin is below {@link #MIN_MARGIN} (past it float rounding may pick either).
   */
  static void compare(String family, JsonObject g, List<String> tokens, JsonArray tops) {
    compare(family, g, tokens, tops, TOLERANCE, MIN_MARGIN);
  }

  static void compare(String family, JsonObject g, List<String> tokens, JsonArray tops, double tolerance, double minMargin) {
    JsonArray steps = g.getJsonArray("steps");
    assertEquals(steps.size(), tokens.size(), family + ": one token per reference step (EOS ignored)");
    double worst = 0;
    int compared = 0;
    for (int k = 0; k < steps.size(); k++) {
      JsonObject step = steps.getJsonObject(k);
      JsonObject top = tops.getJsonObject(k);
      double lse = step.getDouble("logsumexp");
      for (Object p : step.getJsonArray("top")) {
        JsonArray pair = (JsonArray) p;
        Object ours = top.getValue("token_id:" + pair.getLong(0));
        double expected = pair.getDouble(1) - lse;
        if (ours == null) {
          if (step.getDouble("margin") >= minMargin && pair.equals(step.getJsonArray("top").getJsonArray(0))) {
            fail(family + " step " + k + ": the reference's best token " + pair.getLong(0) + " is not in our top 5 " + top);
          }
          continue;
        }
        double diff = Math.abs(((Number) ours).doubleValue() - expected);
        worst = Math.max(worst, diff);
        assertTrue(diff <= tolerance, family + " step " + k + " token " + pair.getLong(0) + ": log probability "
            + ours + ", transformers " + expected);
      }
      compared++;
      if (step.getDouble("margin") < minMargin) {
        break; // this step's pick may go either way; everything after depends on it
      }
      assertEquals("token_id:" + step.getLong("id"), tokens.get(k), family + " step " + k);
    }
    synchronized (FIGURES) {
      double[] f = FIGURES.computeIfAbsent(family, x -> new double[2]);
      f[0] += compared;
      f[1] = Math.max(f[1], worst);
    }
  }
}
