package io.chatserver.inference.toolcall;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A reasoning model's thinking comes apart from its answer, however the text is cut into deltas. */
class ThinkStreamTest {

  private static String[] run(boolean inside, String text, int size) {
    ThinkStream s = new ThinkStream(inside);
    StringBuilder reasoning = new StringBuilder();
    StringBuilder content = new StringBuilder();
    for (int i = 0; i < text.length(); i += size) {
      ThinkStream.Out o = s.push(text.substring(i, Math.min(text.length(), i + size)));
      reasoning.append(o.reasoning());
      content.append(o.content());
    }
    ThinkStream.Out o = s.finish();
    reasoning.append(o.reasoning());
    content.append(o.content());
    return new String[] {reasoning.toString(), content.toString()};
  }

  private static void check(boolean inside, String text, String reasoning, String content) {
    for (int size : new int[] {1, 2, 5, 1000}) {
      String[] r = run(inside, text, size);
      assertEquals(reasoning, r[0], "reasoning, in pieces of " + size);
      assertEquals(content, r[1], "content, in pieces of " + size);
    }
  }

  @Test
  void thinkingThenAnswer() {
    check(false, "<think>\nThe user wants a story.\n</think>\n\nOnce upon a time.", "The user wants a story.\n", "Once upon a time.");
    check(false, "<think>\n\n</think>\n\nNo thinking.", "\n", "No thinking.");
    check(true, "It is 4.\n</think>\n\n2 + 2 = 4", "It is 4.\n", "2 + 2 = 4");
  }

  @Test
  void anAnswerWithoutThinkingIsAllContent() {
    check(false, "Just an answer with <think> later.", "", "Just an answer with <think> later.");
    check(false, "<thin", "", "<thin");
    check(false, "<think>never closed", "never closed", "");
  }

  @Test
  void whichTemplatesAndPromptsThink() {
    assertTrue(ThinkStream.uses("{{- '<think>\\n\\n</think>\\n\\n' }}"));
    assertFalse(ThinkStream.uses("{{ messages }}"));
    assertTrue(ThinkStream.opens("<|im_start|>assistant\n<think>\n"));
    assertFalse(ThinkStream.opens("<|im_start|>assistant\n"));
  }
}
