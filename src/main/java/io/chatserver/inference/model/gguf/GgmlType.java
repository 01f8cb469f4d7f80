package io.chatserver.inference.model.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The tensor types of GGUF files that the server reads, with their block layouts (as
 * {@code ggml-common.h} defines them) and their dequantization to float32 (as
 * {@code ggml-quants.c} computes it). A block of {@code blockSize} values takes {@code typeSize} bytes.
 */
public enum GgmlType {
  F32(0, 1, 4),
  F16(1, 1, 2),
  Q4_0(2, 32, 18),
  Q4_1(3, 32, 20),
  Q5_0(6, 32, 22),
  Q5_1(7, 32, 24),
  Q8_0(8, 32, 34),
  Q2_K(10, 256, 84),
  Q3_K(11, 256, 110),
  Q4_K(12, 256, 144),
  Q5_K(13, 256, 176),
  Q6_K(14, 256, 210),
  BF16(30, 1, 2);

  public final int id;
  public final int blockSize;
  public final int typeSize;

  GgmlType(int id, int blockSize, int typeSize) {
    this.id = id;
    this.blockSize = blockSize;
    this.typeSize = typeSize;
  }

  /** The type of an id, or null when the server does not read it. */
  public static GgmlType of(long id) {
    for (GgmlType t : values()) {
      if (t.id == id) {
        return t;
      }
    }
    return null;
  }

  /** The names of the types llama.cpp defines, for messages about the ones we do not read. */
  public static String nameOf(long id) {
    String[] names = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K",
        "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16",
        "I32", "I64", "F64", "IQ1_M", "BF16"};
    return id >= 0 && id < names.length ? names[(int) id] : "type " + id;
  }

  /** Bytes of {@code elements} values (which must be whole blocks). */
  public long bytes(long elements) {
    return elements / blockSize * typeSize;
  }

  /** Dequantizes {@code n} values from {@code src} (little-endian, at its position) into {@code out} from {@code off}. */
  public void dequantize(ByteBuffer src, long n, float[] out, int off) {
    ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int base = b.position();
    long blocks = n / blockSize;
    for (long blk = 0; blk < blocks; blk++) {
      int p = (int) (base + blk * typeSize);
      int o = (int) (off + blk * blockSize);
      switch (this) {
        case F32 -> out[o] = b.getFloat(p);
        case F16 -> out[o] = half(b.getShort(p));
        case BF16 -> out[o] = Float.intBitsToFloat((b.getShort(p) & 0xffff) << 16);
        case Q8_0 -> q8_0(b, p, out, o);
        case Q4_0 -> q4_0(b, p, out, o);
        case Q4_1 -> q4_1(b, p, out, o);
        case Q5_0 -> q5(b, p, out, o, false);
        case Q5_1 -> q5(b, p, out, o, true);
        case Q2_K -> q2_k(b, p, out, o);
        case Q3_K -> q3_k(b, p, out, o);
        case Q4_K -> q4_k(b, p, out, o);
        case Q5_K -> q5_k(b, p, out, o);
        case Q6_K -> q6_k(b, p, out, o);
        default -> throw new IllegalStateException(name());
      }
    }
  }

  /** IEEE half precision to float. */
  static float half(short h) {
    return io.chatserver.inference.model.Safetensors.halfToFloat(h);
  }

  private static int u8(ByteBuffer b, int p) {
    return b.get(p) & 0xff;
  }

  private static void q8_0(ByteBuffer b, int p, float[] y, int o) {
    float d = half(b.getShort(p));
    for (int j = 0; j < 32; j++) {
      y[o + j] = d * b.get(p + 2 + j);
    }
  }

  private static void q4_0(ByteBuffer b, int p, float[] y, int o) {
    float d = half(b.getShort(p));
    for (int j = 0; j < 16; j++) {
      int q = u8(b, p + 2 + j);
      y[o + j] = ((q & 0x0f) - 8) * d;
      y[o + j + 16] = ((q >> 4) - 8) * d;
    }
  }

  private static void q4_1(ByteBuffer b, int p, float[] y, int o) {
    float d = half(b.getShort(p));
    float m = half(b.getShort(p + 2));
    for (int j = 0; j < 16; j++) {
      int q = u8(b, p + 4 + j);
      y[o + j] = (q & 0x0f) * d + m;
      y[o + j + 16] = (q >> 4) * d + m;
    }
  }

  private static void q5(ByteBuffer b, int p, float[] y, int o, boolean withMin) {
    float d = half(b.getShort(p));
    float m = withMin ? half(b.getShort(p + 2)) : 0;
    int h = withMin ? p + 4 : p + 2;
    int qh = b.getInt(h);
    int qs = h + 4;
    for (int j = 0; j < 16; j++) {
      int xh0 = ((qh >>> j) << 4) & 0x10;
      int xh1 = (qh >>> (j + 12)) & 0x10;
      int q = u8(b, qs + j);
      int x0 = (q & 0x0f) | xh0;
      int x1 = (q >> 4) | xh1;
      if (withMin) {
        y[o + j] = x0 * d + m;
        y[o + j + 16] = x1 * d + m;
      } else {
        y[o + j] = (x0 - 16) * d;
        y[o + j + 16] = (x1 - 16) * d;
      }
    }
  }

  /** block_q2_K: scales[16], qs[64], d, dmin. */
  private static void q2_k(ByteBuffer b, int p, float[] y, int o) {
    int scales = p;
    int qs = p + 16;
    float d = half(b.getShort(p + 80));
    float min = half(b.getShort(p + 82));
    int is = 0;
    int q = qs;
    for (int n = 0; n < 256; n += 128) {
      int shift = 0;
      for (int j = 0; j < 4; j++) {
        int sc = u8(b, scales + is++);
        float dl = d * (sc & 0xf);
        float ml = min * (sc >> 4);
        for (int l = 0; l < 16; l++) {
          y[o++] = dl * ((u8(b, q + l) >> shift) & 3) - ml;
        }
        sc = u8(b, scales + is++);
        dl = d * (sc & 0xf);
        ml = min * (sc >> 4);
        for (int l = 0; l < 16; l++) {
          y[o++] = dl * ((u8(b, q + l + 16) >> shift) & 3) - ml;
        }
        shift += 2;
      }
      q += 32;
    }
  }

  /** block_q3_K: hmask[32], qs[64], scales[12] (6-bit, packed), d. */
  private static void q3_k(ByteBuffer b, int p, float[] y, int o) {
    int hm = p;
    int q = p + 32;
    float dAll = half(b.getShort(p + 108));
    int[] aux = {b.getInt(p + 96), b.getInt(p + 100), b.getInt(p + 104), 0};
    int kmask1 = 0x03030303;
    int kmask2 = 0x0f0f0f0f;
    int tmp = aux[2];
    aux[2] = ((aux[0] >>> 4) & kmask2) | (((tmp >>> 4) & kmask1) << 4);
    aux[3] = ((aux[1] >>> 4) & kmask2) | (((tmp >>> 6) & kmask1) << 4);
    aux[0] = (aux[0] & kmask2) | (((tmp) & kmask1) << 4);
    aux[1] = (aux[1] & kmask2) | (((tmp >>> 2) & kmask1) << 4);
    byte[] scales = new byte[16];
    for (int i = 0; i < 16; i++) {
      scales[i] = (byte) (aux[i / 4] >>> (8 * (i % 4)));
    }
    int is = 0;
    int m = 1;
    for (int n = 0; n < 256; n += 128) {
      int shift = 0;
      for (int j = 0; j < 4; j++) {
        float dl = dAll * (scales[is++] - 32);
        for (int l = 0; l < 16; l++) {
          y[o++] = dl * (((u8(b, q + l) >> shift) & 3) - ((u8(b, hm + l) & m) != 0 ? 0 : 4));
        }
        dl = dAll * (scales[is++] - 32);
        for (int l = 0; l < 16; l++) {
          y[o++] = dl * (((u8(b, q + l + 16) >> shift) & 3) - ((u8(b, hm + l + 16) & m) != 0 ? 0 : 4));
        }
        shift += 2;
        m <<= 1;
      }
      q += 32;
    }
  }

  /** The j-th 6-bit scale and min of a Q4_K / Q5_K block's 12 scale bytes (at {@code s}). */
  private static int[] scaleMin(ByteBuffer b, int s, int j) {
    if (j < 4) {
      return new int[] {u8(b, s + j) & 63, u8(b, s + j + 4) & 63};
    }
    return new int[] {(u8(b, s + j + 4) & 0xf) | ((u8(b, s + j - 4) >> 6) << 4),
        (u8(b, s + j + 4) >> 4) | ((u8(b, s + j) >> 6) << 4)};
  }

  /** The scales and mins of sub-blocks {@code is} and {@code is + 1}: {d1, m1, d2, m2}. */
  private static float[] scales(ByteBuffer b, int s, int is, float d, float min) {
    int[] a = scaleMin(b, s, is);
    int[] c = scaleMin(b, s, is + 1);
    return new float[] {d * a[0], min * a[1], d * c[0], min * c[1]};
  }

  /** block_q4_K: d, dmin, scales[12], qs[128]. */
  private static void q4_k(ByteBuffer b, int p, float[] y, int o) {
    float d = half(b.getShort(p));
    float min = half(b.getShort(p + 2));
    int s = p + 4;
    int q = p + 16;
    int is = 0;
    for (int j = 0; j < 256; j += 64) {
      float[] dm = scales(b, s, is, d, min);
      for (int l = 0; l < 32; l++) {
        y[o++] = dm[0] * (u8(b, q + l) & 0xf) - dm[1];
      }
      for (int l = 0; l < 32; l++) {
        y[o++] = dm[2] * (u8(b, q + l) >> 4) - dm[3];
      }
      q += 32;
      is += 2;
    }
  }

  /** block_q5_K: d, dmin, scales[12], qh[32], qs[128]. */
  private static void q5_k(ByteBuffer b, int p, float[] y, int o) {
    float d = half(b.getShort(p));
    float min = half(b.getShort(p + 2));
    int s = p + 4;
    int qh = p + 16;
    int ql = p + 48;
    int is = 0;
    int u1 = 1;
    int u2 = 2;
    for (int j = 0; j < 256; j += 64) {
      float[] dm = scales(b, s, is, d, min);
      for (int l = 0; l < 32; l++) {
        y[o++] = dm[0] * ((u8(b, ql + l) & 0xf) + ((u8(b, qh + l) & u1) != 0 ? 16 : 0)) - dm[1];
      }
      for (int l = 0; l < 32; l++) {
        y[o++] = dm[2] * ((u8(b, ql + l) >> 4) + ((u8(b, qh + l) & u2) != 0 ? 16 : 0)) - dm[3];
      }
      ql += 32;
      is += 2;
      u1 <<= 2;
      u2 <<= 2;
    }
  }

  /** block_q6_K: ql[128], qh[64], scales[16] (int8), d. */
  private static void q6_k(ByteBuffer b, int p, float[] y, int o) {
    int ql = p;
    int qh = p + 128;
    int sc = p + 192;
    float d = half(b.getShort(p + 208));
    for (int n = 0; n < 256; n += 128) {
      for (int l = 0; l < 32; l++) {
        int is = l / 16;
        int q1 = ((u8(b, ql + l) & 0xf) | (((u8(b, qh + l)) & 3) << 4)) - 32;
        int q2 = ((u8(b, ql + l + 32) & 0xf) | (((u8(b, qh + l) >> 2) & 3) << 4)) - 32;
        int q3 = ((u8(b, ql + l) >> 4) | (((u8(b, qh + l) >> 4) & 3) << 4)) - 32;
        int q4 = ((u8(b, ql + l + 32) >> 4) | (((u8(b, qh + l) >> 6) & 3) << 4)) - 32;
        y[o + n + l] = d * b.get(sc + is) * q1;
        y[o + n + l + 32] = d * b.get(sc + is + 2) * q2;
        y[o + n + l + 64] = d * b.get(sc + is + 4) * q3;
        y[o + n + l + 96] = d * b.get(sc + is + 6) * q4;
      }
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}
