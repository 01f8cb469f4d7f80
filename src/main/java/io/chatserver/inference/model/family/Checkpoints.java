package io.chatserver.inference.model.family;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.chatserver.inference.model.Decoder;
import io.chatserver.inference.model.ModelConfig;
import io.chatserver.inference.model.TextTokenizer;
import io.chatserver.inference.model.gguf.GgufCheckpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntConsumer;

/**
 * The model files a path holds, whatever their format: a Hugging Face folder (config.json,
 * safetensors, tokenizer.json) or a single GGUF file. Either gives the decoder's settings, a
 * tokenizer with its template, and the weights.
 */
public final class Checkpoints {

  /** An opened model: its settings and tokenizer at once, its weights when {@link #load} reads them. */
  public interface Checkpoint extends AutoCloseable {
    ModelConfig config();

    TextTokenizer tokenizer() throws IOException;

    Decoder load(Device device, DataType dtype, int maxBatch, int context, int retained, int lanes, IntConsumer progress)
        throws IOException;

    @Override
    void close() throws IOException;
  }

  private Checkpoints() {}

  /** True for a path the server serves as a GGUF model. */
  public static boolean isGguf(Path path) {
    return path.getFileName() != null && path.getFileName().toString().toLowerCase().endsWith(".gguf") && Files.isRegularFile(path);
  }

  /** Opens a folder or a GGUF file ({@code ropeFreqs}: see {@link GgufCheckpoint#open(Path, boolean)}). */
  public static Checkpoint open(Path path, boolean ropeFreqs) throws IOException {
    if (isGguf(path)) {
      GgufCheckpoint g = GgufCheckpoint.open(path, ropeFreqs);
      return new Checkpoint() {
        @Override
        public ModelConfig config() {
          return g.config();
        }

        @Override
        public TextTokenizer tokenizer() throws IOException {
          return TextTokenizer.of(g.tokenizerJson(), g.tokenizerConfig(), g.config().bosId());
        }

        @Override
        public Decoder load(Device device, DataType dtype, int maxBatch, int context, int retained, int lanes,
                            IntConsumer progress) throws IOException {
          return Decoder.load(g.config(), g.weights(), path.toString(), device, dtype, maxBatch, context, retained, lanes, progress);
        }

        @Override
        public void close() throws IOException {
          g.close();
        }
      };
    }
    ModelConfig cfg = Families.read(path);
    return new Checkpoint() {
      @Override
      public ModelConfig config() {
        return cfg;
      }

      @Override
      public TextTokenizer tokenizer() throws IOException {
        return TextTokenizer.load(path, cfg);
      }

      @Override
      public Decoder load(Device device, DataType dtype, int maxBatch, int context, int retained, int lanes, IntConsumer progress)
          throws IOException {
        return Checkpoints.load(path, cfg, device, dtype, maxBatch, context, retained, lanes, progress);
      }

      @Override
      public void close() {
      }
    };
  }

  public static Decoder load(Path dir, Device device, DataType dtype, int maxBatch, int context, int retained, int lanes,
                             IntConsumer progress) throws IOException {
    try (Checkpoint c = open(dir, true)) {
      return c.load(device, dtype, maxBatch, context, retained, lanes, progress);
    }
  }

  public static Decoder load(Path dir, ModelConfig cfg, Device device, DataType dtype, int maxBatch, int context, int retained,
                             int lanes, IntConsumer progress) throws IOException {
    return Decoder.load(cfg, Decoder.safetensors(dir), dir.toString(), device, dtype, maxBatch, context, retained, lanes, progress);
  }
}
