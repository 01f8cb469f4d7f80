package io.chatserver.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The keys and values of every layer, by slot: one tensor per layer of shape
 * [slots, kvHeads, context, headDim]. A sequence owns a slot; a forward pass writes its new
 * positions and reads a contiguous range of slots up to the longest position.
 */
final class KvCache {

  private final NDArray[] keys;
  private final NDArray[] values;

  KvCache(NDManager manager, int layers, int slots, int kvHeads, int context, int headDim, DataType dtype) {
    keys = new NDArray[layers];
    values = new NDArray[layers];
    Shape shape = new Shape(slots, kvHeads, context, headDim);
    for (int i = 0; i < layers; i++) {
      keys[i] = manager.zeros(shape, dtype);
      values[i] = manager.zeros(shape, dtype);
    }
  }

  /** Where a step's new tokens go: token i to (slots[i], positions[i]). */
  record Step(NDIndex write, NDIndex view) {
    static Step of(NDArray slots, NDArray positions, int firstSlot, int rows, int visible) {
      return new Step(new NDIndex("{}, :, {}", slots, positions), new NDIndex("{}:{}, :, :{}", firstSlot, firstSlot + rows, visible));
    }
  }

  /** Stores layer {@code layer}'s new keys and values, each [tokens, kvHeads, headDim]. */
  void write(int layer, Step step, NDArray k, NDArray v) {
    keys[layer].set(step.write(), k);
    values[layer].set(step.write(), v);
  }

  /** The keys of the step's slots, [rows, kvHeads, visible, headDim]. */
  NDArray keys(int layer, Step step) {
    return keys[layer].get(step.view());
  }

  /** The values of the step's slots, [rows, kvHeads, visible, headDim]. */
  NDArray values(int layer, Step step) {
    return values[layer].get(step.view());
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
