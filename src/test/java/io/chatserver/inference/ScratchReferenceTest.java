package io.chatserver.inference;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.chatserver.Offline;
import io.chatserver.inference.model.LlamaModel;
import io.chatserver.inference.model.ModelConfig;
import io.chatserver.inference.model.TextTokenizer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

class ScratchReferenceTest {
  @Test
  void scratch() throws Exception {
    Offline.enforce();
    var dir = SharedModels.stories260k();
    try (LlamaModel m = LlamaModel.load(dir, Device.cpu(), DataType.FLOAT32, 4, 512, i -> {});
         TextTokenizer tok = TextTokenizer.load(dir, ModelConfig.read(dir))) {
      long[] ids = tok.encode("Once upon a time");
      System.out.println("ids " + Arrays.toString(ids));
      long[] all = Arrays.copyOf(ids, 60);
      int n = ids.length;
      try (NDScope s = new NDScope()) {
        NDArray logits = m.forward(ids, m.stagingSlot(), 1, n, new int[] {0}, false);
        all[n] = logits.argMax(-1).toLongArray()[0];
      }
      for (int p = n; p < 59; p++) {
        try (NDScope s = new NDScope()) {
          NDArray logits = m.forward(new long[] {all[p]}, m.stagingSlot(), 1, 1, new int[] {p}, false);
          all[p + 1] = logits.argMax(-1).toLongArray()[0];
        }
      }
      System.out.println("TEXT: " + tok.decode(all));
    }
  }
}
