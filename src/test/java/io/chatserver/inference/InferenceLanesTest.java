package io.chatserver.inference;

import ai.djl.Device;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.chatserver.inference.model.Decoder;
import io.chatserver.inference.model.family.Checkpoints;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every test of {@link InferenceTest} again with the model split into two tensor-parallel lanes
 * (two threads, each with half the heads, half the MLP and half the vocabulary), plus what only
 * lanes can get wrong: the split's logits against the whole model's, and arrays the helper lane
 * leaves behind.
 */
class InferenceLanesTest extends InferenceTest {

  @Override
  int lanes() {
    return 2;
  }

  @Test
  void twoLanesGiveTheLogitsOfOne() throws Exception {
    long[] ids = runtime.textPrompt(REFERENCE);
    try (Decoder one = Checkpoints.load(SharedModels.stories260k(), Device.cpu(), DataType.FLOAT32, 2, 512, 0, 1, x -> { });
         Decoder two = Checkpoints.load(SharedModels.stories260k(), Device.cpu(), DataType.FLOAT32, 2, 512, 0, 2, x -> { })) {
      assertEquals(2, two.lanes());
      float[] a;
      float[] b;
      try (NDScope s = new NDScope()) {
        a = one.forward(ids, 0, 1, ids.length, new int[] {0}, true).toFloatArray();
        b = two.forward(ids, 0, 1, ids.length, new int[] {0}, true).toFloatArray();
      }
      assertEquals(a.length, b.length);
      double maxDiff = 0;
      for (int i = 0; i < a.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      }
      // the same sums in another order: equal up to float32 rounding
      assertTrue(maxDiff < 1e-4, "two lanes' logits differ from one lane's by " + maxDiff);
    }
  }

  @Test
  void theHelperLaneLeavesNoArraysBehind() throws Exception {
    try (Decoder m = Checkpoints.load(SharedModels.stories260k(), Device.cpu(), DataType.FLOAT32, 2, 512, 0, 2, x -> { })) {
      int before = m.manager().getManagedArrays().size();
      for (int p = 0; p < 20; p++) {
        try (NDScope s = new NDScope()) {
          m.forward(new long[] {1, 403}, 0, 2, 1, new int[] {p, p}, false).toFloatArray();
        }
      }
      assertEquals(before, m.manager().getManagedArrays().size(), "arrays of finished steps are all freed, the helper lane's too");
    }
  }
}
