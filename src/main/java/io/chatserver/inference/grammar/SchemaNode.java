package io.chatserver.inference.grammar;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A JSON Schema compiled for generation: what a value must look like, with the shortest JSON text
 * each node can be written in (used to finish in time when the token budget runs out). Nodes are
 * compared by identity (the matcher's states hold them and are hashed often).
 */
sealed interface SchemaNode {

  /** Bytes of the shortest JSON text of this node. */
  int minBytes();

  /** An object with these properties, written in this order (an optional one may be left out). */
  record Obj(List<Prop> props, int minBytes) implements SchemaNode {
    public boolean equals(Object o) {
      return this == o;
    }

    public int hashCode() {
      return System.identityHashCode(this);
    }
  }

  /** One property: its key as JSON text with the colon ({@code "name":}), its value, whether it must be there. */
  record Prop(String name, byte[] key, SchemaNode value, boolean required) {
    static Prop of(String name, SchemaNode value, boolean required) {
      return new Prop(name, (io.vertx.core.json.Json.encode(name) + ":").getBytes(StandardCharsets.UTF_8), value, required);
    }
  }

  /** Any JSON object (json_object mode, or additionalProperties without properties). */
  record FreeObj() implements SchemaNode {
    public boolean equals(Object o) {
      return this == o;
    }

    public int hashCode() {
      return System.identityHashCode(this);
    }

    public int minBytes() {
      return 2;
    }
  }

  record Arr(SchemaNode items, int min, int max) implements SchemaNode {
    public boolean equals(Object o) {
      return this == o;
    }

    public int hashCode() {
      return System.identityHashCode(this);
    }

    public int minBytes() {
      return 2 + min * items.minBytes() + Math.max(0, min - 1);
    }
  }

  record Str(int min, int max) implements SchemaNode {
    public boolean equals(Object o) {
      return this == o;
    }

    public int hashCode() {
      return System.identityHashCode(this);
    }

    public int minBytes() {
      return 2 + min;
    }
  }

  /** A number; an integer when {@code integer}, then within [min, max] (null: unbounded). */
  record Num(boolean integer, BigInteger min, BigInteger max) implements SchemaNode {
    public boolean equals(Object o) {
      return this == o;
    }

    public int hashCode() {
      return System.identityHashCode(this);
    }

    public int minBytes() {
      if (!integer || (min == null || min.signum() <= 0) && (max == null || max.signum() >= 0)) {
        return 1;
      }
      BigInteger nearest = min != null && min.signum() > 0 ? min : max;
      return nearest.toString().length();
    }
  }

  /** One of these JSON texts exactly (enum, const, true/false, null). */
  record Literals(List<byte[]> texts) implements SchemaNode {
    public boolean equals(Object o) {
      return this == o;
    }

    public int hashCode() {
      return System.identityHashCode(this);
    }

    public int minBytes() {
      return texts.stream().mapToInt(t -> t.length).min().orElse(0);
    }
  }

  record AnyOf(List<SchemaNode> options) implements SchemaNode {
    public boolean equals(Object o) {
      return this == o;
    }

    public int hashCode() {
      return System.identityHashCode(this);
    }

    public int minBytes() {
      return options.stream().mapToInt(SchemaNode::minBytes).min().orElse(0);
    }
  }

  /** Any JSON value. */
  record Any() implements SchemaNode {
    public boolean equals(Object o) {
      return this == o;
    }

    public int hashCode() {
      return System.identityHashCode(this);
    }

    public int minBytes() {
      return 1;
    }
  }

  /** Literal bytes before and after a value (a tool call's markers around its JSON). */
  record Wrapped(byte[] before, SchemaNode inner, byte[] after) implements SchemaNode {
    public int minBytes() {
      return before.length + inner.minBytes() + after.length;
    }

    public boolean equals(Object o) {
      return this == o;
    }

    public int hashCode() {
      return System.identityHashCode(this);
    }
  }

  /** A reference to a definition ($ref to $defs), resolved when first used (schemas may recurse). */
  final class Ref implements SchemaNode {
    final String name;
    SchemaNode target;

    Ref(String name) {
      this.name = name;
    }

    SchemaNode target() {
      return target;
    }

    public int minBytes() {
      return target == null ? 1 : target instanceof Obj o ? o.minBytes() : target.minBytes();
    }
  }
}
