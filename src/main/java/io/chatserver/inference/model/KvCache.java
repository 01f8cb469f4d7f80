package io.chatserver.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The keys and values of every layer, by slot: per layer, keys of shape [slots, kvHeads, headDim,
 * capacity] (stored transposed, so attention multiplies by them without a transpose op per layer)
 * and values of shape [slots, kvHeads, capacity, headDim]. A sequence owns a slot; a forward pass
 * writes its new positions and reads a contiguous range of slots up to the longest position.
 *
 * <p>The capacity (positions held per slot) grows with the longest sequence, in steps of
 * {@link #GROWTH} positions and at least doubling, up to the model's context: a server configured
 * for long contexts holds memory for what its sequences use, not for every slot at full length.
 * It never shrinks while the model is loaded.
 */
final class KvCache {

  /** Positions are added in multiples of this. */
  static final int GROWTH = 128;

  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private final int slots;
  private final int kvHeads;
  private final int context;
  private final int headDim;
  private final DataType dtype;
  private int capacity;

  KvCache(NDManager manager, int layers, int slots, int kvHeads, int context, int headDim, DataType dtype) {
    this.manager = manager;
    this.slots = slots;
    this.kvHeads = kvHeads;
    this.context = context;
    this.headDim = headDim;
    this.dtype = dtype;
    this.capacity = Math.min(context, GROWTH);
    keys = new NDArray[layers];
    values = new NDArray[layers];
    for (int i = 0; i < layers; i++) {
      keys[i] = manager.zeros(new Shape(slots, kvHeads, headDim, capacity), dtype);
      values[i] = manager.zeros(new Shape(slots, kvHeads, capacity, headDim), dtype);
    }
  }

  /** Positions each slot holds now. */
  int capacity() {
    return capacity;
  }

  /**
   * Makes room for positions {@code [0, positions)} in every slot (at most the context), copying
   * what is held into larger arrays, one layer at a time. The new arrays belong to the model, not to
   * the step's scope; the new positions are zero (a masked position must not hold NaN).
   */
  void ensure(int positions) {
    if (positions <= capacity) {
      return;
    }
    int grown = Math.min(context, Math.max(positions, 2 * capacity));
    grown = Math.min(context, (grown + GROWTH - 1) / GROWTH * GROWTH);
    NDIndex keyPart = new NDIndex(":, :, :, :{}", capacity);
    NDIndex valuePart = new NDIndex(":, :, :{}, :", capacity);
    for (int i = 0; i < keys.length; i++) {
      NDArray k = manager.zeros(new Shape(slots, kvHeads, headDim, grown), dtype);
      NDArray v = manager.zeros(new Shape(slots, kvHeads, grown, headDim), dtype);
      ai.djl.ndarray.NDScope.unregister(k, v);
      k.set(keyPart, keys[i]);
      v.set(valuePart, values[i]);
      keys[i].close();
      values[i].close();
      keys[i] = k;
      values[i] = v;
    }
    capacity = grown;
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
