package io.chatserver.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The keys and values of every layer, by slot: per layer, keys of shape [slots, kvHeads, headDim,
 * context] (stored transposed, so attention multiplies by them without a transpose op per layer)
 * and values of shape [slots, kvHeads, context, headDim]. A sequence owns a slot; a forward pass
 * writes its new positions and reads a contiguous range of slots up to the longest position.
 */
final class KvCache {

  private final NDArray[] keys;
  private final NDArray[] values;

  KvCache(NDManager manager, int layers, int slots, int kvHeads, int context, int headDim, DataType dtype) {
    keys = new NDArray[layers];
    values = new NDArray[layers];
    for (int i = 0; i < layers; i++) {
      keys[i] = manager.zeros(new Shape(slots, kvHeads, headDim, context), dtype);
      values[i] = manager.zeros(new Shape(slots, kvHeads, context, headDim), dtype);
    }
  }

  /** Where a step's new tokens go: token i to (slots[i], positions[i]). */
  record Step(NDIndex keyWrite, NDIndex keyView, NDIndex valueWrite, NDIndex valueView) {
    static Step of(NDArray slots, NDArray positions, int firstSlot, int rows, int visible) {
      return new Step(new NDIndex("{}, :, :, {}", slots, positions),
          new NDIndex("{}:{}, :, :, :{}", firstSlot, firstSlot + rows, visible),
          new NDIndex("{}, :, {}", slots, positions), new NDIndex("{}:{}, :, :{}", firstSlot, firstSlot + rows, visible));
    }
  }

  /** Stores layer {@code layer}'s new keys and values, each [tokens, kvHeads, headDim]. */
  void write(int layer, Step step, NDArray k, NDArray v) {
    keys[layer].set(step.keyWrite(), k); // the two indexed dimensions are apart: the tokens' dimension comes first
    values[layer].set(step.valueWrite(), v);
  }

  /** The keys of the step's slots, transposed: [rows, kvHeads, headDim, visible]. */
  NDArray keysTransposed(int layer, Step step) {
    return keys[layer].get(step.keyView());
  }

  /** The values of the step's slots, [rows, kvHeads, visible, headDim]. */
  NDArray values(int layer, Step step) {
    return values[layer].get(step.valueView());
  }

  /** Copies one slot into another, in every layer. */
  void move(int from, int to) {
    for (int li = 0; li < keys.length; li++) {
      try (NDArray k = keys[li].get(new NDIndex("{}", from)); NDArray v = values[li].get(new NDIndex("{}", from))) {
        keys[li].set(new NDIndex("{}", to), k);
        values[li].set(new NDIndex("{}", to), v);
      }
    }
  }
}
