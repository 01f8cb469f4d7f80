package io.chatserver.inference.toolcall;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Each family's way of writing tool calls is read back into calls, however the text is cut into
 * deltas; text around the calls passes through; what only looks like a call stays text.
 */
class ToolCallStreamTest {

  /** What a stream gives for {@code text} fed in pieces of {@code size} characters: [text, calls]. */
  private static Object[] run(ToolFormat f, String text, int size) {
    ToolCallStream s = new ToolCallStream(f);
    StringBuilder out = new StringBuilder();
    List<ToolFormat.Call> calls = new ArrayList<>();
    for (int i = 0; i < text.length(); i += size) {
      ToolCallStream.Out o = s.push(text.substring(i, Math.min(text.length(), i + size)));
      out.append(o.text());
      calls.addAll(o.calls());
    }
    ToolCallStream.Out o = s.finish();
    out.append(o.text());
    calls.addAll(o.calls());
    return new Object[] {out.toString(), calls};
  }

  private static void check(ToolFormat f, String text, String expectedText, List<ToolFormat.Call> expectedCalls) {
    for (int size : new int[] {1, 2, 3, 7, 1000}) {
      Object[] r = run(f, text, size);
      assertEquals(expectedText, r[0], f + " in pieces of " + size);
      assertEquals(expectedCalls, r[1], f + " in pieces of " + size);
    }
  }

  private static ToolFormat.Call call(String name, JsonObject args) {
    return new ToolFormat.Call(name, args.encode());
  }

  @Test
  void hermesCallsAmidText() {
    check(ToolFormat.HERMES, "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
            + "<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>",
        "Let me check.\n", List.of(call("get_weather", new JsonObject().put("city", "Paris")), call("get_time", new JsonObject())));
    check(ToolFormat.HERMES, "a < b and <tool_ca is not a call", "a < b and <tool_ca is not a call", List.of());
    check(ToolFormat.HERMES, "<tool_call>{\"name\": broken}</tool_call> after", "<tool_call>{\"name\": broken}</tool_call> after", List.of());
    check(ToolFormat.HERMES, "<tool_call>{\"name\": \"x\", \"arguments\": {\"a\": 1}", "<tool_call>{\"name\": \"x\", \"arguments\": {\"a\": 1}",
        List.of());
  }

  @Test
  void llamaJsonAnswers() {
    check(ToolFormat.LLAMA3_JSON, "  {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}",
        "", List.of(call("get_weather", new JsonObject().put("city", "Paris").put("unit", "celsius"))));
    check(ToolFormat.LLAMA3_JSON, "{\"name\": \"a\", \"parameters\": {\"x\": \"1;2\"}}; {\"name\": \"b\", \"parameters\": {}}", "",
        List.of(call("a", new JsonObject().put("x", "1;2")), call("b", new JsonObject())));
    check(ToolFormat.LLAMA3_JSON, "The braces {like this} are text.", "The braces {like this} are text.", List.of());
    check(ToolFormat.LLAMA3_JSON, "{not json at all", "{not json at all", List.of());
  }

  @Test
  void mistralCallLists() {
    check(ToolFormat.MISTRAL, "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, "
        + "{\"name\": \"get_time\", \"arguments\": {\"tz\": \"CET\"}}]", "",
        List.of(call("get_weather", new JsonObject().put("city", "Paris")), call("get_time", new JsonObject().put("tz", "CET"))));
    check(ToolFormat.MISTRAL, "No [TOOL_CALLS here.", "No [TOOL_CALLS here.", List.of());
    check(ToolFormat.MISTRAL, "Sure. [TOOL_CALLS][oops", "Sure. [TOOL_CALLS][oops", List.of());
  }

  @Test
  void gemmaNotation() {
    check(ToolFormat.GEMMA, "<|tool_call>call:get_weather{city:<|\"|>Paris<|\"|>,days:3,hourly:false,tags:[<|\"|>a<|\"|>,2.5]}<tool_call|>",
        "", List.of(call("get_weather", new JsonObject().put("city", "Paris").put("days", 3).put("hourly", false)
            .put("tags", new io.vertx.core.json.JsonArray().add("a").add(2.5)))));
    check(ToolFormat.GEMMA, "<|tool_call>nonsense<tool_call|>", "<|tool_call>nonsense<tool_call|>", List.of());
  }

  @Test
  void theFormatComesFromTheTemplate() {
    assertEquals(ToolFormat.HERMES, ToolFormat.of("... <tool_call>\n{\"name\": <function-name>} ..."));
    assertEquals(ToolFormat.MISTRAL, ToolFormat.of("{{- \"[TOOL_CALLS][\" }}"));
    assertEquals(ToolFormat.LLAMA3_JSON, ToolFormat.of("Respond in the format {\"name\": function name, \"parameters\": ...}"));
    assertEquals(ToolFormat.GEMMA, ToolFormat.of("{{- '<|tool_call>call:' + function['name'] }}"));
    assertNull(ToolFormat.of("{% for m in messages %}{{ m.content }}{% endfor %}"));
  }
}
