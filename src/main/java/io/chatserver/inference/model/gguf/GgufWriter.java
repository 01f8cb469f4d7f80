package io.chatserver.inference.model.gguf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file of float32 tensors (what llama.cpp's tools read and quantize): metadata of
 * strings, integers, floats, booleans and arrays of them, then the tensors, aligned to 32 bytes. For
 * the benchmarks' random-weight models, so that this engine and llama.cpp run the same weights.
 */
public final class GgufWriter {

  private final Map<String, Object> metadata = new LinkedHashMap<>();
  private final Map<String, float[]> tensors = new LinkedHashMap<>();
  private final Map<String, long[]> shapes = new LinkedHashMap<>();

  public GgufWriter put(String key, Object value) {
    metadata.put(key, value);
    return this;
  }

  /** A tensor in row-major (PyTorch) shape; GGUF stores the dims reversed. */
  public GgufWriter tensor(String name, float[] values, long... shape) {
    tensors.put(name, values);
    shapes.put(name, shape);
    return this;
  }

  public void write(Path file) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      Bytes h = new Bytes();
      h.raw("GGUF".getBytes(StandardCharsets.US_ASCII));
      h.u32(3);
      h.u64(tensors.size());
      h.u64(metadata.size());
      for (Map.Entry<String, Object> e : metadata.entrySet()) {
        h.string(e.getKey());
        h.value(e.getValue(), true);
      }
      long offset = 0;
      List<Long> offsets = new ArrayList<>();
      for (Map.Entry<String, float[]> e : tensors.entrySet()) {
        long[] shape = shapes.get(e.getKey());
        h.string(e.getKey());
        h.u32(shape.length);
        for (int i = shape.length - 1; i >= 0; i--) {
          h.u64(shape[i]);
        }
        h.u32(GgmlType.F32.id);
        h.u64(offset);
        offsets.add(offset);
        offset += align(e.getValue().length * 4L);
      }
      out.write(h.toArray());
      out.write(new byte[(int) (align(h.size()) - h.size())]);
      ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      for (float[] values : tensors.values()) {
        for (int i = 0; i < values.length; ) {
          chunk.clear();
          int n = Math.min(values.length - i, chunk.capacity() / 4);
          chunk.asFloatBuffer().put(values, i, n);
          out.write(chunk.array(), 0, n * 4);
          i += n;
        }
        out.write(new byte[(int) (align(values.length * 4L) - values.length * 4L)]);
      }
    }
  }

  private static long align(long n) {
    return (n + 31) / 32 * 32;
  }

  /** A growing little-endian byte buffer for the header. */
  private static final class Bytes {
    private ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

    private void room(int n) {
      if (b.remaining() < n) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
        b.flip();
        bigger.put(b);
        b = bigger;
      }
    }

    void raw(byte[] x) {
      room(x.length);
      b.put(x);
    }

    void u32(long v) {
      room(4);
      b.putInt((int) v);
    }

    void u64(long v) {
      room(8);
      b.putLong(v);
    }

    void string(String s) {
      byte[] x = s.getBytes(StandardCharsets.UTF_8);
      u64(x.length);
      raw(x);
    }

    /** A value with its type id first (when {@code typed}); arrays hold one type. */
    void value(Object v, boolean typed) {
      if (v instanceof String s) {
        if (typed) {
          u32(8);
        }
        string(s);
      } else if (v instanceof Boolean x) {
        if (typed) {
          u32(7);
        }
        room(1);
        b.put((byte) (x ? 1 : 0));
      } else if (v instanceof Float f) {
        if (typed) {
          u32(6);
        }
        room(4);
        b.putFloat(f);
      } else if (v instanceof Integer i) {
        if (typed) {
          u32(4);
        }
        u32(i);
      } else if (v instanceof List<?> list) {
        u32(9);
        Object first = list.isEmpty() ? "" : list.get(0);
        u32(first instanceof String ? 8 : first instanceof Float ? 6 : first instanceof Boolean ? 7 : 5);
        u64(list.size());
        for (Object o : list) {
          if (o instanceof Integer i) {
            u32(i); // int32 elements
          } else {
            value(o, false);
          }
        }
      } else {
        throw new IllegalArgumentException("a GGUF value cannot be " + v);
      }
    }

    int size() {
      return b.position();
    }

    byte[] toArray() {
      byte[] out = new byte[b.position()];
      b.flip();
      b.get(out);
      return out;
    }
  }
}
