package io.chatserver.inference;

import io.chatserver.inference.model.Llama2cImporter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real weights in ../shared/models (or $MODELS_DIR), imported once per test JVM into a temp
 * directory through the llama2.c importer, then loaded through the ordinary HF path.
 */
public final class SharedModels {

  private static Path stories;

  private SharedModels() {}

  public static Path sharedDir() {
    String env = System.getenv("MODELS_DIR");
    Path dir = env != null ? Path.of(env) : Path.of("..", "shared", "models");
    return dir.toAbsolutePath().normalize();
  }

  /** The imported stories260K model directory (HF format). */
  public static synchronized Path stories260k() {
    if (stories == null) {
      Path src = sharedDir().resolve("stories260K");
      if (!Files.isRegularFile(src.resolve("stories260K.bin"))) {
        throw new IllegalStateException("the shared weights are missing: expected " + src.resolve("stories260K.bin")
            + " (set MODELS_DIR to the folder holding stories260K/)");
      }
      try {
        Path out = Files.createTempDirectory("stories260k-hf");
        Llama2cImporter.convert(src.resolve("stories260K.bin"), src.resolve("tok512.bin"), out);
        stories = out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return stories;
  }

}
