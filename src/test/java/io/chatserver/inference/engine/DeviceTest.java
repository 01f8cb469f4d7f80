package io.chatserver.inference.engine;

import io.chatserver.Offline;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Device choice on this machine's CPU-only libtorch: auto and cpu work; cuda fails saying how to get a CUDA libtorch. */
class DeviceTest {

  @Test
  void cudaWithoutACudaLibtorchSaysHowToGetOne() {
    Offline.enforce();
    assertEquals(ai.djl.Device.cpu(), ModelRuntime.device("auto"));
    assertEquals(ai.djl.Device.cpu(), ModelRuntime.device("cpu"));
    for (String name : new String[] {"cuda", "cuda:1", "gpu"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelRuntime.device(name));
      String m = e.getMessage();
      assertTrue(m.contains("device " + name) && m.contains("sees 0 GPU(s)") && m.contains("PYTORCH_LIBRARY_PATH")
          && m.contains("PYTORCH_FLAVOR") && m.contains("MODEL_ALLOW_NATIVE_DOWNLOAD=true"), m);
    }
    assertThrows(IllegalArgumentException.class, () -> ModelRuntime.device("tpu"));
  }

  @Test
  void lanesAreAutoOrAPositiveNumberAndAnythingElseSaysSo() {
    java.nio.file.Path base = java.nio.file.Path.of("/models");
    io.vertx.core.json.JsonObject entry = new io.vertx.core.json.JsonObject().put("name", "m").put("path", "m");
    assertEquals(0, ModelRuntime.Spec.fromJson(entry, base).lanes(), "auto by default");
    assertEquals(0, ModelRuntime.Spec.fromJson(entry.copy().put("lanes", "auto"), base).lanes());
    assertEquals(2, ModelRuntime.Spec.fromJson(entry.copy().put("lanes", 2), base).lanes());
    assertEquals(3, ModelRuntime.Spec.fromJson(entry.copy().put("lanes", "3"), base).lanes(), "MODEL_LANES=3 from the environment");
    for (Object bad : new Object[] {0, -1, "two", "0"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ModelRuntime.Spec.fromJson(entry.copy().put("lanes", bad), base));
      assertTrue(e.getMessage().contains("lanes must be \"auto\" or a positive number"), e.getMessage());
    }
  }
}
