package io.chatserver.inference.engine;

import io.chatserver.Offline;
import io.chatserver.inference.SharedModels;
import io.chatserver.inference.model.ModelConfig;
import io.chatserver.inference.model.TextTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TextStreamTest {

  private TextTokenizer tokenizer;

  @BeforeAll
  void load() throws Exception {
    Offline.enforce();
    tokenizer = TextTokenizer.load(SharedModels.stories260k(), io.chatserver.inference.model.family.Families.read(SharedModels.stories260k()));
  }

  @AfterAll
  void close() {
    tokenizer.close();
  }

  private List<String> stream(String text, List<String> stops) {
    long[] ids = tokenizer.encode(text);
    TextStream s = new TextStream(tokenizer, new long[] {ids[0]}, stops);
    List<String> deltas = new ArrayList<>();
    for (int i = 1; i < ids.length && !s.stopped(); i++) {
      deltas.add(s.push(ids[i]));
    }
    deltas.add(s.finish());
    return deltas;
  }

  @Test
  void multiByteCharactersSplitAcrossTokensNeverComeOutBroken() {
    String text = "Ünïcödé: 日本語 and 😀🎉 done";
    long[] ids = tokenizer.encode(text);
    assertTrue(ids.length > text.length(), "byte fallback splits these characters into several tokens");
    List<String> deltas = stream(text, List.of());
    for (String d : deltas) {
      assertFalse(d.contains("\uFFFD"), "a delta split a character: " + deltas);
    }
    assertEquals(text, String.join("", deltas));
  }

  @Test
  void stopStringsAreCutAndTheirPrefixesHeldBack() {
    List<String> deltas = stream("The cat sat. END of story", List.of("END"));
    assertEquals("The cat sat. ", String.join("", deltas));
    for (String d : deltas) {
      assertFalse(d.contains("E"), "nothing of the stop string was sent: " + deltas);
    }
    // a held-back prefix that turns out not to be the stop string is released
    assertEquals("The ENd is near", String.join("", stream("The ENd is near", List.of("END"))));
  }
}
