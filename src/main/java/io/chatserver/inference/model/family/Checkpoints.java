package io.chatserver.inference.model.family;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.chatserver.inference.model.Decoder;
import io.chatserver.inference.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.IntConsumer;

/** Loads a model folder (config.json and safetensors, as Hugging Face lays them out) into a {@link Decoder}. */
public final class Checkpoints {

  private Checkpoints() {}

  public static Decoder load(Path dir, Device device, DataType dtype, int maxBatch, int context, int retained, int lanes,
                             IntConsumer progress) throws IOException {
    return load(dir, Families.read(dir), device, dtype, maxBatch, context, retained, lanes, progress);
  }

  public static Decoder load(Path dir, ModelConfig cfg, Device device, DataType dtype, int maxBatch, int context, int retained,
                             int lanes, IntConsumer progress) throws IOException {
    return Decoder.load(cfg, Decoder.safetensors(dir), dir.toString(), device, dtype, maxBatch, context, retained, lanes, progress);
  }
}
