package io.chatserver.inference.model.gguf;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GGUF reader on files it must refuse (truncated, lying counts, unknown types, tensors outside
 * the file) without a crash or a large allocation, and the dequantization of every type against
 * llama.cpp's own reference (gguf-py's numpy dequantize, run once on random blocks: test data in
 * src/test/resources/gguf).
 */
class GgufFileTest {

  @TempDir
  Path dir;

  /** A little GGUF writer: header, metadata, tensor table, aligned data. */
  static final class Writer {
    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private final ByteArrayOutputStream infos = new ByteArrayOutputStream();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private long kvCount;
    private long tensorCount;
    long version = 3;

    private static byte[] le(long v, int bytes) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
      byte[] out = new byte[bytes];
      System.arraycopy(b.array(), 0, out, 0, bytes);
      return out;
    }

    private static void str(ByteArrayOutputStream o, String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      o.writeBytes(le(b.length, 8));
      o.writeBytes(b);
    }

    Writer string(String key, String value) {
      str(kv, key);
      kv.writeBytes(le(8, 4));
      str(kv, value);
      kvCount++;
      return this;
    }

    Writer u32(String key, long value) {
      str(kv, key);
      kv.writeBytes(le(4, 4));
      kv.writeBytes(le(value, 4));
      kvCount++;
      return this;
    }

    Writer tensor(String name, int type, long[] dims, byte[] bytes) {
      str(infos, name);
      infos.writeBytes(le(dims.length, 4));
      for (long d : dims) {
        infos.writeBytes(le(d, 8));
      }
      infos.writeBytes(le(type, 4));
      infos.writeBytes(le(data.size(), 8));
      data.writeBytes(bytes);
      while (data.size() % 32 != 0) {
        data.write(0);
      }
      tensorCount++;
      return this;
    }

    byte[] bytes(long tensors, long kvs) {
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      o.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
      o.writeBytes(le(version, 4));
      o.writeBytes(le(tensors, 8));
      o.writeBytes(le(kvs, 8));
      o.writeBytes(kv.toByteArray());
      o.writeBytes(infos.toByteArray());
      while (o.size() % 32 != 0) {
        o.write(0);
      }
      o.writeBytes(data.toByteArray());
      return o.toByteArray();
    }

    byte[] bytes() {
      return bytes(tensorCount, kvCount);
    }
  }

  private Path write(byte[] bytes) throws IOException {
    Path f = Files.createTempFile(dir, "t", ".gguf");
    Files.write(f, bytes);
    return f;
  }

  private static byte[] f32(float... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  private String refused(byte[] bytes) throws IOException {
    Path f = write(bytes);
    return assertThrows(IOException.class, () -> GgufFile.open(f).close()).getMessage();
  }

  @Test
  void aWellFormedFileReadsBack() throws IOException {
    byte[] bytes = new Writer().string("general.architecture", "llama").u32("llama.block_count", 2)
        .tensor("a", 0, new long[] {4, 2}, f32(1, 2, 3, 4, 5, 6, 7, 8)).bytes();
    try (GgufFile g = GgufFile.open(write(bytes))) {
      assertEquals("llama", g.metadata().get("general.architecture"));
      assertEquals(2L, g.metadata().get("llama.block_count"));
      GgufFile.TensorInfo t = g.tensors().get("a");
      assertArrayEquals(new long[] {2, 4}, t.shape(), "row-major: the fastest dimension last");
      assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, g.floats(t));
      float[] second = new float[4];
      g.read(t, 1, 1, java.nio.FloatBuffer.wrap(second));
      assertArrayEquals(new float[] {5, 6, 7, 8}, second, "a range of rows (what the loader reads in blocks)");
      assertThrows(IOException.class, () -> g.read(t, 1, 2, java.nio.FloatBuffer.wrap(new float[8])), "rows past the end are refused");
    }
  }

  @Test
  void truncatedFilesAreRefusedAtEveryLength() throws IOException {
    byte[] good = new Writer().string("general.architecture", "llama")
        .tensor("a", 0, new long[] {8}, f32(1, 2, 3, 4, 5, 6, 7, 8)).bytes();
    for (int len = 0; len < good.length - 32; len += 7) {
      String msg = refused(java.util.Arrays.copyOf(good, len));
      assertTrue(msg.contains("GGUF"), msg);
    }
  }

  @Test
  void liesInTheHeaderAreRefusedWithoutAllocatingForThem() throws IOException {
    // counts far beyond what the file holds
    assertTrue(refused(new Writer().bytes(1L << 60, 0)).contains("more than the file holds"));
    assertTrue(refused(new Writer().bytes(0, Long.MAX_VALUE)).contains("more than the file holds"));
    // a string that claims 2^62 bytes
    Writer w = new Writer();
    byte[] bytes = w.string("k", "v").bytes();
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(24, 1L << 62);
    assertTrue(refused(bytes).contains("string"));
    // an array that claims 2^40 values
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
    o.writeBytes(Writer.le(3, 4));
    o.writeBytes(Writer.le(0, 8));
    o.writeBytes(Writer.le(1, 8));
    o.writeBytes(Writer.le(1, 8));
    o.write('k');
    o.writeBytes(Writer.le(9, 4));   // array
    o.writeBytes(Writer.le(4, 4));   // of u32
    o.writeBytes(Writer.le(1L << 40, 8));
    assertTrue(refused(o.toByteArray()).contains("array"));
    // wrong magic and version
    byte[] magic = new Writer().bytes();
    magic[0] = 'X';
    assertTrue(refused(magic).contains("magic"));
    Writer v9 = new Writer();
    v9.version = 9;
    assertTrue(refused(v9.bytes()).contains("version 9"));
  }

  @Test
  void tensorsMustBeOfAKnownTypeAndInsideTheFile() throws IOException {
    assertTrue(refused(new Writer().tensor("iq", 16, new long[] {256}, new byte[66]).bytes()).contains("IQ2_XXS"),
        "an unsupported type is named");
    assertTrue(refused(new Writer().tensor("big", 0, new long[] {64}, f32(1)).bytes()).contains("outside the file"));
    assertTrue(refused(new Writer().tensor("odd", 8, new long[] {33}, new byte[34]).bytes()).contains("whole Q8_0 blocks"));
    assertTrue(refused(new Writer().tensor("zero", 0, new long[] {0}, new byte[0]).bytes()).contains("dimension"));
    assertTrue(refused(new Writer().tensor("dims", 0, new long[] {1, 1, 1, 1, 1}, f32(1)).bytes()).contains("dimensions"));
    assertTrue(refused(new Writer().tensor("huge", 0, new long[] {1L << 40, 1L << 40}, f32(1)).bytes()).contains("dimension"));
  }

  @Test
  void everyTypeDequantizesAsLlamaCppDoes() throws IOException {
    JsonObject vectors;
    try (var in = GgufFileTest.class.getResourceAsStream("/gguf/dequant-vectors.json")) {
      vectors = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getJsonObject("types");
    }
    assertEquals(10, vectors.size());
    for (String name : vectors.fieldNames()) {
      GgmlType type = GgmlType.valueOf(name);
      byte[] raw = HexFormat.of().parseHex(vectors.getJsonObject(name).getString("bytes"));
      JsonArray expected = vectors.getJsonObject(name).getJsonArray("values");
      float[] out = new float[expected.size()];
      type.dequantize(ByteBuffer.wrap(raw), out.length, out, 0);
      for (int i = 0; i < out.length; i++) {
        double e = expected.getDouble(i);
        assertEquals(e, out[i], 1e-6 + Math.abs(e) * 1e-6, name + " value " + i);
      }
    }
  }
}
