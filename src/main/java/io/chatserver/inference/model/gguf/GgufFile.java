package io.chatserver.inference.model.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (llama.cpp's format, versions 2 and 3): its metadata (key, typed value) and its
 * tensor table, checked before anything is loaded. The file is untrusted: every count and length
 * is checked against what is left of the file before anything is allocated for it, every tensor
 * must lie inside the file, and a type the server cannot read is named. Tensor data is read later,
 * one tensor at a time ({@link #data}).
 */
public final class GgufFile implements AutoCloseable {

  /** One tensor: its name, type, shape (ggml's order: the fastest-varying dimension first) and where its bytes are. */
  public record TensorInfo(String name, GgmlType type, long[] dims, long offset, long bytes) {
    public long elements() {
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      return n;
    }

    /** The shape in row-major order (PyTorch's, Hugging Face's): the dims reversed. */
    public long[] shape() {
      long[] s = new long[dims.length];
      for (int i = 0; i < dims.length; i++) {
        s[i] = dims[dims.length - 1 - i];
      }
      return s;
    }
  }

  private static final int MAGIC = 0x46554747; // "GGUF" little-endian
  private static final long MAX_STRING = 64L << 20;
  private static final int MAX_DIMS = 4;

  private final Path path;
  private final FileChannel channel;
  private final long size;
  private final int version;
  private final Map<String, Object> metadata = new LinkedHashMap<>();
  private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
  private long pos;
  private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
  /** Reused by every tensor read (a model's hundreds of tensors would otherwise leave as many chunks to the collector). */
  private ByteBuffer chunk;
  private float[] values;
  private long bufStart = -1;

  private GgufFile(Path path, FileChannel channel) throws IOException {
    this.path = path;
    this.channel = channel;
    this.size = channel.size();
    if (size < 24) {
      throw bad("it is too short to be a GGUF file");
    }
    if (u32() != MAGIC) {
      throw bad("it does not start with the GGUF magic");
    }
    version = (int) u32();
    if (version != 2 && version != 3) {
      throw bad("GGUF version " + version + " is not supported (2 and 3 are)");
    }
    long tensorCount = u64();
    long kvCount = u64();
    // every key/value takes at least 12 bytes and every tensor entry at least 24: counts past that are lies
    if (kvCount < 0 || kvCount > (size - pos) / 12 || tensorCount < 0 || tensorCount > (size - pos) / 24) {
      throw bad("its header counts " + tensorCount + " tensors and " + kvCount + " metadata entries, more than the file holds");
    }
    for (long i = 0; i < kvCount; i++) {
      String key = string();
      metadata.put(key, value((int) u32(), 0));
    }
    List<Object[]> raw = new ArrayList<>();
    for (long i = 0; i < tensorCount; i++) {
      String name = string();
      long nd = u32();
      if (nd < 1 || nd > MAX_DIMS) {
        throw bad("tensor " + name + " has " + nd + " dimensions");
      }
      long[] dims = new long[(int) nd];
      long elements = 1;
      for (int d = 0; d < nd; d++) {
        dims[d] = u64();
        if (dims[d] < 1 || dims[d] > size * 8) {
          throw bad("tensor " + name + " has a dimension of " + dims[d]);
        }
        elements = Math.multiplyExact(elements, dims[d]);
      }
      long typeId = u32();
      long offset = u64();
      GgmlType type = GgmlType.of(typeId);
      if (type == null) {
        throw bad("tensor " + name + " has type " + GgmlType.nameOf(typeId) + ", which this server does not read "
            + "(F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K are)");
      }
      if (dims[0] % type.blockSize != 0) {
        throw bad("tensor " + name + " has rows of " + dims[0] + " values, not whole " + type + " blocks of " + type.blockSize);
      }
      if (tensors.containsKey(name)) {
        throw bad("tensor " + name + " is listed twice");
      }
      raw.add(new Object[] {name, type, dims, offset, elements});
      tensors.put(name, null);
    }
    long alignment = metadata.get("general.alignment") instanceof Long a && a > 0 && a <= 1 << 20 && Long.bitCount(a) == 1 ? a : 32;
    long dataStart = (pos + alignment - 1) / alignment * alignment;
    for (Object[] r : raw) {
      GgmlType type = (GgmlType) r[1];
      long offset = (Long) r[3];
      long bytes = type.bytes((Long) r[4]);
      if (offset < 0 || offset % alignment != 0 && offset % type.typeSize != 0 || dataStart + offset + bytes > size
          || dataStart + offset + bytes < 0) {
        throw bad("tensor " + r[0] + " (" + bytes + " bytes at " + offset + ") lies outside the file (" + size + " bytes)");
      }
      tensors.put((String) r[0], new TensorInfo((String) r[0], type, (long[]) r[2], dataStart + offset, bytes));
    }
  }

  /** Opens and checks a GGUF file; anything wrong with it is an IOException naming the file and the fault. */
  public static GgufFile open(Path path) throws IOException {
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
    try {
      return new GgufFile(path, ch);
    } catch (IOException | RuntimeException e) {
      ch.close();
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException(path + " is not a readable GGUF file: " + e.getMessage(), e);
    }
  }

  private IOException bad(String why) {
    return new IOException(path + " is not a usable GGUF file: " + why);
  }

  public int version() {
    return version;
  }

  public Map<String, Object> metadata() {
    return metadata;
  }

  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** A tensor's values as float32, dequantized (for small tensors). */
  public float[] floats(TensorInfo t) throws IOException {
    if (t.elements() > Integer.MAX_VALUE - 8) {
      throw new IOException(path + ": tensor " + t.name() + " has more than 2^31 values");
    }
    float[] out = new float[(int) t.elements()];
    read(t, java.nio.FloatBuffer.wrap(out));
    return out;
  }

  /**
   * Dequantizes a tensor into {@code into} from its position, reading the file in chunks of whole
   * rows (not mapping it, so that its pages do not stay in the process's memory once loaded).
   */
  public void read(TensorInfo t, java.nio.FloatBuffer into) throws IOException {
    read(t, 0, t.elements() / t.dims()[0], into);
  }

  /** As above, {@code count} rows (of {@code dims[0]} values each) from row {@code first}. */
  public void read(TensorInfo t, long first, long count, java.nio.FloatBuffer into) throws IOException {
    long rowBytes = t.type().bytes(t.dims()[0]);
    long all = t.elements() / t.dims()[0];
    if (first < 0 || count < 0 || first + count > all) {
      throw new IOException(path + ": rows " + first + "+" + count + " of tensor " + t.name() + " are out of range");
    }
    long rows = first + count;
    long rowsPerChunk = Math.max(1, (4L << 20) / Math.max(1, rowBytes));
    int chunkBytes = (int) Math.min(count, rowsPerChunk) * (int) rowBytes;
    int chunkValues = (int) (Math.min(count, rowsPerChunk) * t.dims()[0]);
    if (chunk == null || chunk.capacity() < chunkBytes) {
      chunk = ByteBuffer.allocate(chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
    }
    if (values == null || values.length < chunkValues) {
      values = new float[chunkValues];
    }
    for (long r = first; r < rows; r += rowsPerChunk) {
      long n = Math.min(rowsPerChunk, rows - r);
      chunk.clear().limit((int) (n * rowBytes));
      long at = t.offset() + r * rowBytes;
      while (chunk.hasRemaining()) {
        if (channel.read(chunk, at + chunk.position()) < 0) {
          throw new IOException(path + ": tensor " + t.name() + " ends early");
        }
      }
      chunk.flip();
      int got = (int) (n * t.dims()[0]);
      t.type().dequantize(chunk, got, values, 0);
      into.put(values, 0, got);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  // ---- reading the header ----

  private void need(long n) throws IOException {
    if (n < 0 || pos + n > size) {
      throw bad("it ends in the middle of its header (at byte " + pos + ")");
    }
    if (bufStart < 0 || pos < bufStart || pos + n > bufStart + buf.limit()) {
      buf.clear();
      int read = 0;
      long at = pos;
      while (read < Math.min(buf.capacity(), size - pos)) {
        int r = channel.read(buf, at + read);
        if (r < 0) {
          break;
        }
        read += r;
      }
      buf.flip();
      bufStart = pos;
    }
  }

  private int index() {
    return (int) (pos - bufStart);
  }

  private long u32() throws IOException {
    need(4);
    long v = buf.getInt(index()) & 0xffffffffL;
    pos += 4;
    return v;
  }

  private long u64() throws IOException {
    need(8);
    long v = buf.getLong(index());
    pos += 8;
    return v;
  }

  private String string() throws IOException {
    long n = u64();
    if (n < 0 || n > MAX_STRING || pos + n > size) {
      throw bad("a string of " + n + " bytes runs past the end of the file or its limit");
    }
    byte[] bytes = new byte[(int) n];
    int done = 0;
    while (done < n) {
      int chunk = (int) Math.min(n - done, buf.capacity());
      need(chunk);
      buf.get(index(), bytes, done, chunk);
      pos += chunk;
      done += chunk;
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Bytes a value of a scalar type takes (0 for string and array). */
  private static int width(int type) {
    return switch (type) {
      case 0, 1, 7 -> 1;
      case 2, 3 -> 2;
      case 4, 5, 6 -> 4;
      case 10, 11, 12 -> 8;
      default -> 0;
    };
  }

  private Object value(int type, int depth) throws IOException {
    switch (type) {
      case 0 -> { need(1); long v = buf.get(index()) & 0xff; pos += 1; return v; }
      case 1 -> { need(1); long v = buf.get(index()); pos += 1; return v; }
      case 2 -> { need(2); long v = buf.getShort(index()) & 0xffff; pos += 2; return v; }
      case 3 -> { need(2); long v = buf.getShort(index()); pos += 2; return v; }
      case 4 -> { return u32(); }
      case 5 -> { need(4); long v = buf.getInt(index()); pos += 4; return v; }
      case 6 -> { need(4); double v = buf.getFloat(index()); pos += 4; return v; }
      case 7 -> { need(1); boolean v = buf.get(index()) != 0; pos += 1; return v; }
      case 8 -> { return string(); }
      case 9 -> {
        if (depth > 2) {
          throw bad("arrays are nested too deeply");
        }
        int elemType = (int) u32();
        long n = u64();
        int w = width(elemType);
        long min = w > 0 ? w : elemType == 8 ? 8 : 12;
        if (n < 0 || n > (size - pos) / min) {
          throw bad("an array of " + n + " values runs past the end of the file");
        }
        if (w == 0 && elemType != 8 && elemType != 9) {
          throw bad("an array has an unknown value type " + elemType);
        }
        List<Object> out = new ArrayList<>((int) Math.min(n, 1 << 20));
        for (long i = 0; i < n; i++) {
          out.add(value(elemType, depth + 1));
        }
        return out;
      }
      case 10 -> { return u64(); }
      case 11 -> { return u64(); }
      case 12 -> { need(8); double v = buf.getDouble(index()); pos += 8; return v; }
      default -> throw bad("a metadata value has an unknown type " + type);
    }
  }

  @Override
  public String toString() {
    return path + " (GGUF v" + version + ", " + tensors.size() + " tensors, " + Arrays.toString(metadata.keySet().toArray()) + ")";
  }
}
