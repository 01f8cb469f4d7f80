package io.chatserver.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * bfloat16 weights on the CPU, through PyTorch ops that DJL's NDArray API cannot reach.
 *
 * <p>DJL 0.35's JNI turns its {@code DataType} into PyTorch's scalar type with a switch that knows
 * only float32 ... complex64; any other type ends in {@code default: throw;}, a rethrow with no
 * exception in flight, so {@code std::terminate} aborts the JVM. That is why creating or casting
 * to a BFLOAT16 NDArray kills the process. Tensors that PyTorch itself makes bfloat16 are fine,
 * though: an NDArray is only a handle, and matMul, get, transpose and close never ask its type.
 *
 * <p>So this class writes a tiny TorchScript module in memory (a zip of its source, as
 * {@code torch.jit.save} writes one: {@code code/__torch__.py}, a pickled module object, no
 * weights), DJL loads it, and its methods do what DJL cannot: cast weights to bfloat16 once at
 * load, and per step multiply float32 activations by bfloat16 weights (oneDNN's AVX-512 BF16 GEMM
 * on CPUs that have it) and look up embedding rows, returning float32. A decode step then reads
 * two bytes per weight instead of four. Callers must never call {@code getDataType()} or
 * {@code toType} on a bfloat16 array.
 */
final class TorchOps implements AutoCloseable {

  /** PyTorch's scalar type numbers (c10::ScalarType). */
  private static final int FLOAT32 = 6;
  private static final int BFLOAT16 = 15;
  private static final int INT64 = 4;
  private static final int FLOAT64 = 7;
  private static final int QINT8 = 12;
  /** fbgemm's packed int8 weight (with per-row scales), as TorchScript names its class. */
  private static final String PACKED = "__torch__.torch.classes.quantized.LinearPackedParamsBase";

  private static final String SOURCE = String.join("\n",
      "class Ops(Module):",
      "  __parameters__ = []",
      "  __buffers__ = []",
      "  training : bool",
      "  def forward(self: __torch__.Ops, w: Tensor) -> Tensor:",
      "    return torch.contiguous(torch.to(w, " + BFLOAT16 + "))",
      "  def linear(self: __torch__.Ops, x: Tensor, w: Tensor) -> Tensor:",
      "    return torch.to(torch.matmul(torch.to(x, " + BFLOAT16 + "), w), " + FLOAT32 + ")",
      "  def empty(self: __torch__.Ops, like: Tensor, shape: List[int]) -> Tensor:",
      "    return torch.empty(shape, dtype=" + BFLOAT16 + ", layout=None, device=ops.prim.device(like), pin_memory=None, memory_format=None)",
      "  def put(self: __torch__.Ops, dst: Tensor, start: int, src: Tensor) -> Tensor:",
      "    _0 = torch.copy_(torch.narrow(dst, 0, start, torch.size(src, 0)), src)",
      "    return dst",
      "  def embedding(self: __torch__.Ops, w: Tensor, ids: Tensor) -> Tensor:",
      "    return torch.to(torch.embedding(w, ids), " + FLOAT32 + ")",
      "  def int8(self: __torch__.Ops, w: Tensor) -> " + PACKED + ":",
      "    w0 = torch.contiguous(w)",
      "    peak = torch.maximum(torch.amax(w0, [1]), torch.neg(torch.amin(w0, [1])))",
      "    scales = torch.to(torch.div(torch.clamp_min(peak, 1e-12), 127.), " + FLOAT64 + ")",
      "    zero = torch.zeros_like(scales, dtype=" + INT64 + ")",
      "    q = torch.quantize_per_channel(w0, scales, zero, 0, " + QINT8 + ")",
      "    return ops.quantized.linear_prepack(q, None)",
      "  def qlinear(self: __torch__.Ops, x: Tensor, w: " + PACKED + ") -> Tensor:",
      "    return ops.quantized.linear_dynamic(x, w, False)",
      "");

  private final PtSymbolBlock module;
  private final NDManager manager;
  /** The packed int8 weights made here: native objects outside any NDManager, freed on close. */
  private final java.util.List<IValue> packed = new java.util.ArrayList<>();

  TorchOps(NDManager manager) {
    this.manager = manager;
    try {
      module = JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(archive()), false, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A bfloat16, contiguous copy of {@code w} (any float32 array or view); {@code w} is left as it is. */
  NDArray bf16(NDArray w) {
    return call("forward", w);
  }

  /** An uninitialised bfloat16 matrix of {@code shape} [rows, cols]. */
  NDArray emptyBf16(long[] shape) {
    try (NDArray like = manager.zeros(new ai.djl.ndarray.types.Shape(1)); IValue li = IValue.from((PtNDArray) like);
         IValue si = IValue.listFrom(shape); IValue out = IValueUtils.runMethod(module, "empty", li, si)) {
      return out.toTensor((PtNDManager) manager);
    }
  }

  /** Copies {@code src} (float32) into rows {@code start...} of the bfloat16 {@code dst}, in place. */
  void put(NDArray dst, long start, NDArray src) {
    try (IValue di = IValue.from((PtNDArray) dst); IValue at = IValue.from(start); IValue si = IValue.from((PtNDArray) src);
         IValue out = IValueUtils.runMethod(module, "put", di, at, si)) {
      // out is dst itself; closing the IValue drops only its reference
    }
  }

  /** {@code x @ w} for float32 {@code x} and bfloat16 {@code w}, in float32. */
  NDArray linear(NDArray x, NDArray w) {
    return call("linear", x, w);
  }

  /** Rows {@code ids} of the bfloat16 table {@code w}, in float32. */
  NDArray embedding(NDArray w, NDArray ids) {
    return call("embedding", w, ids);
  }

  /**
   * {@code w} [out, in] (float32) as int8 with one scale per output row (its largest magnitude over
   * 127), packed by fbgemm for {@link #qlinear}; {@code w} is left as it is. The pack is its own copy.
   */
  IValue int8(NDArray w) {
    // the scales are computed inside the script from each row's max and min: no temporary of w's size
    try (IValue wi = IValue.from((PtNDArray) w)) {
      IValue p = IValueUtils.runMethod(module, "int8", wi);
      packed.add(p);
      return p;
    }
  }

  /**
   * {@code x @ w^T} for float32 {@code x} [..., in] and a packed int8 weight: fbgemm's dynamic
   * quantized linear (x is quantized to int8 per call, over the whole tensor), in float32.
   */
  NDArray qlinear(NDArray x, IValue w) {
    try (IValue xi = IValue.from((PtNDArray) x); IValue out = IValueUtils.runMethod(module, "qlinear", xi, w)) {
      return out.toTensor((PtNDManager) x.getManager());
    }
  }

  private NDArray call(String method, NDArray... args) {
    IValue[] in = new IValue[args.length];
    try {
      for (int i = 0; i < args.length; i++) {
        in[i] = IValue.from((PtNDArray) args[i]);
      }
      try (IValue out = IValueUtils.runMethod(module, method, in)) {
        return out.toTensor((PtNDManager) args[0].getManager());
      }
    } finally {
      for (IValue v : in) {
        if (v != null) {
          v.close();
        }
      }
    }
  }

  @Override
  public void close() {
    packed.forEach(IValue::close);
    packed.clear();
    module.close();
  }

  /** The module as torch.jit.save lays it out: a zip of stored entries under one folder. */
  static byte[] archive() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
      stored(zip, "archive/code/__torch__.py", SOURCE.getBytes(StandardCharsets.UTF_8));
      stored(zip, "archive/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // an empty tuple
      stored(zip, "archive/data.pkl", pickledModule("Ops"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * A pickle (protocol 2) of an object of TorchScript class {@code __torch__.<cls>} with state
   * {training: False}: GLOBAL, EMPTY_TUPLE, NEWOBJ, then a dict of its attributes and BUILD.
   */
  private static byte[] pickledModule(String cls) {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(0x80);
    p.write(2);
    p.writeBytes(("c__torch__\n" + cls + "\n").getBytes(StandardCharsets.US_ASCII));
    p.write(')');
    p.write(0x81);
    p.write('}');
    p.write('(');
    byte[] name = "training".getBytes(StandardCharsets.US_ASCII);
    p.write('X');                                   // BINUNICODE, 4-byte little-endian length
    p.writeBytes(new byte[] {(byte) name.length, 0, 0, 0});
    p.writeBytes(name);
    p.write(0x89);                                  // NEWFALSE
    p.write('u');                                   // SETITEMS
    p.write('b');                                   // BUILD
    p.write('.');                                   // STOP
    return p.toByteArray();
  }

  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }
}
