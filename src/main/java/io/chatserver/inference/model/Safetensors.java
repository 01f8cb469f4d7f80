package io.chatserver.inference.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the data. Reading maps the files, so a
 * checkpoint is never copied into the Java heap (and the 2 GiB array limit does not apply).
 */
public final class Safetensors {

  /** One tensor of a checkpoint: its dtype ("F32", "F16", "BF16"), shape, and where its bytes are (little-endian). */
  public record Tensor(String name, String dtype, long[] shape, Path file, long offset, long bytes) {
    public long elements() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  private Safetensors() {}

  /** Every tensor of every {@code *.safetensors} file in the directory (sharded checkpoints included). */
  public static Map<String, Tensor> readDirectory(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IOException(dir + " holds no *.safetensors file");
    }
    Map<String, Tensor> all = new LinkedHashMap<>();
    for (Path f : files) {
      all.putAll(read(f));
    }
    return all;
  }

  public static Map<String, Tensor> read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw new IOException(file + " is too short to be a safetensors file");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(lenBuf, 0);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen <= 0 || headerLen > 100_000_000 || 8 + headerLen > size) {
        throw new IOException(file + " has a corrupt safetensors header length " + headerLen);
      }
      ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
      ch.read(hb, 8);
      JsonObject header;
      try {
        header = new JsonObject(new String(hb.array(), StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        throw new IOException(file + " has a safetensors header that is not JSON");
      }
      long base = 8 + headerLen;
      try {
        return tensors(file, header, base, size);
      } catch (RuntimeException e) { // a header of the wrong shape: a value that is not what the format says
        throw new IOException(file + " has a malformed safetensors header: " + e.getMessage());
      }
    }
  }

  private static Map<String, Tensor> tensors(Path file, JsonObject header, long base, long size) throws IOException {
    {
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (String name : header.fieldNames()) {
        if (name.equals("__metadata__")) {
          continue;
        }
        JsonObject t = header.getJsonObject(name);
        JsonArray shapeJson = t.getJsonArray("shape");
        if (shapeJson == null || shapeJson.size() > 8) {
          throw new IOException(file + ": tensor " + name + " has no usable shape");
        }
        long[] shape = new long[shapeJson.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
          shape[i] = shapeJson.getLong(i);
          if (shape[i] < 0) {
            throw new IOException(file + ": tensor " + name + " has a negative dimension");
          }
          elements = Math.multiplyExact(elements, Math.max(1, shape[i]));
        }
        JsonArray off = t.getJsonArray("data_offsets");
        long begin = off.getLong(0);
        long end = off.getLong(1);
        if (begin < 0 || end < begin || base + end > size) {
          throw new IOException(file + ": tensor " + name + " points outside the file");
        }
        Tensor tensor = new Tensor(name, t.getString("dtype"), shape, file, base + begin, end - begin);
        long expected = tensor.elements() * bytesPer(tensor.dtype(), file, name);
        if (expected != end - begin) {
          throw new IOException(file + ": tensor " + name + " has " + (end - begin) + " bytes, its shape needs " + expected);
        }
        out.put(name, tensor);
      }
      return out;
    }
  }

  static int bytesPer(String dtype, Path file, String name) throws IOException {
    return switch (dtype) {
      case "F32" -> 4;
      case "F16", "BF16" -> 2;
      default -> throw new IOException(file + ": tensor " + name + " has dtype " + dtype + " (F32, F16 and BF16 are supported)");
    };
  }

  /** Writes float32 tensors (in the given order) as one safetensors file. */
  public static void writeF32(Path file, Map<String, float[]> tensors, Map<String, long[]> shapes) throws IOException {
    JsonObject header = new JsonObject().put("__metadata__", new JsonObject().put("format", "pt"));
    long offset = 0;
    for (Map.Entry<String, float[]> e : tensors.entrySet()) {
      long bytes = (long) e.getValue().length * 4;
      JsonArray shape = new JsonArray();
      for (long d : shapes.get(e.getKey())) {
        shape.add(d);
      }
      header.put(e.getKey(), new JsonObject().put("dtype", "F32").put("shape", shape)
          .put("data_offsets", new JsonArray().add(offset).add(offset + bytes)));
      offset += bytes;
    }
    byte[] h = header.encode().getBytes(StandardCharsets.UTF_8);
    int pad = (8 - h.length % 8) % 8;
    byte[] padded = new byte[h.length + pad];
    System.arraycopy(h, 0, padded, 0, h.length);
    for (int i = h.length; i < padded.length; i++) {
      padded[i] = ' ';
    }
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length).array());
      out.write(padded);
      ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      for (float[] values : tensors.values()) {
        for (float v : values) {
          if (!buf.hasRemaining()) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
          }
          buf.putFloat(v);
        }
      }
      out.write(buf.array(), 0, buf.position());
    }
  }

  /**
   * Reads a tensor as float32 into {@code into} (from its position), widening float16 / bfloat16
   * (bfloat16 arrays crash the PyTorch JNI, so the engine never sees them). The file is read in
   * chunks, not mapped, so that a loaded model's file pages do not stay in the process's memory.
   */
  public static void readF32(Tensor t, FloatBuffer into) throws IOException {
    readF32(t, 0, t.elements(), into);
  }

  /** As above, {@code count} values from value {@code first} (in the tensor's row-major order). */
  public static void readF32(Tensor t, long first, long count, FloatBuffer into) throws IOException {
    int width = t.dtype().equals("F32") ? 4 : 2;
    if (first < 0 || count < 0 || first + count > t.elements()) {
      throw new IOException(t.file() + ": values " + first + "+" + count + " of tensor " + t.name() + " are out of range");
    }
    long start = t.offset() + first * width;
    long bytes = count * width;
    ByteBuffer chunk = ByteBuffer.allocate(4 << 20).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(t.file(), StandardOpenOption.READ)) {
      long done = 0;
      while (done < bytes) {
        chunk.clear();
        chunk.limit((int) Math.min(chunk.capacity(), bytes - done));
        while (chunk.hasRemaining()) {
          if (ch.read(chunk, start + done + chunk.position()) < 0) {
            throw new IOException(t.file() + ": tensor " + t.name() + " ends early");
          }
        }
        chunk.flip();
        done += chunk.remaining();
        if (width == 4) {
          into.put(chunk.asFloatBuffer());
        } else {
          boolean bf16 = t.dtype().equals("BF16");
          while (chunk.hasRemaining()) {
            short bits = chunk.getShort();
            into.put(bf16 ? Float.intBitsToFloat((bits & 0xffff) << 16) : halfToFloat(bits));
          }
        }
      }
    }
  }

  /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
  public static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant / 1024f * (float) Math.pow(2, -14);
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

}
