package io.chatserver.inference.grammar;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Set;

/**
 * The bytes each token of a vocabulary writes, read from its tokenizer.json (byte-level BPE: the
 * GPT-2 byte alphabet; SentencePiece-style: "▁" for a space and {@code <0xNN>} byte tokens), in
 * byte order with each token's common prefix with the one before it: so that one pass over the
 * sorted vocabulary walks it like a trie ({@link Constraint}). Special tokens write nothing here
 * (they are never part of JSON); the end-of-sequence tokens are allowed apart, once the JSON is done.
 */
public final class TokenBytes {

  final byte[][] bytes;
  /** Token ids in byte order of their bytes (tokens without bytes left out). */
  final int[] order;
  /** For order[k]: the length of the common prefix with order[k - 1]. */
  final int[] lcp;
  final long[] eos;
  final int vocab;
  /** The longest token's bytes. */
  final int maxLength;

  private TokenBytes(byte[][] bytes, long[] eos, int vocab) {
    this.bytes = bytes;
    this.eos = eos;
    this.vocab = vocab;
    int longest = 0;
    for (byte[] b : bytes) {
      if (b != null) {
        longest = Math.max(longest, b.length);
      }
    }
    this.maxLength = longest;
    Integer[] ids = new Integer[vocab];
    int n = 0;
    for (int i = 0; i < vocab; i++) {
      if (bytes[i] != null && bytes[i].length > 0) {
        ids[n++] = i;
      }
    }
    Integer[] sorted = Arrays.copyOf(ids, n);
    Arrays.sort(sorted, Comparator.comparing((Integer i) -> bytes[i], Arrays::compareUnsigned));
    order = new int[n];
    lcp = new int[n];
    for (int k = 0; k < n; k++) {
      order[k] = sorted[k];
      if (k > 0) {
        byte[] a = bytes[sorted[k - 1]];
        byte[] b = bytes[sorted[k]];
        int l = 0;
        while (l < a.length && l < b.length && a[l] == b[l]) {
          l++;
        }
        lcp[k] = l;
      }
    }
  }

  /** The vocabulary of a tokenizer.json (its text), for a model of {@code vocab} rows with these end-of-sequence ids. */
  public static TokenBytes of(String tokenizerJson, int vocab, Set<Long> eosIds) {
    JsonObject t = new JsonObject(tokenizerJson);
    JsonObject model = t.getJsonObject("model", new JsonObject());
    JsonObject v = model.getJsonObject("vocab", new JsonObject());
    boolean byteLevel = tokenizerJson.contains("\"ByteLevel\"");
    int[] unicodeToByte = byteLevel ? unicodeToByte() : null;
    byte[][] bytes = new byte[vocab][];
    for (var e : v.getMap().entrySet()) {
      if (!(e.getValue() instanceof Number n) || n.intValue() < 0 || n.intValue() >= vocab) {
        continue;
      }
      bytes[n.intValue()] = byteLevel ? byteLevel(e.getKey(), unicodeToByte) : piece(e.getKey());
    }
    for (Object o : t.getJsonArray("added_tokens", new JsonArray())) {
      if (o instanceof JsonObject a && a.getValue("id") instanceof Number n && n.intValue() >= 0 && n.intValue() < vocab) {
        // special tokens are left out of the text; other added tokens write their content
        bytes[n.intValue()] = a.getBoolean("special", false) ? null : a.getString("content", "").getBytes(StandardCharsets.UTF_8);
      }
    }
    for (long id : eosIds) {
      if (id >= 0 && id < vocab) {
        bytes[(int) id] = null;
      }
    }
    return new TokenBytes(bytes, eosIds.stream().mapToLong(Long::longValue).filter(id -> id >= 0 && id < vocab).toArray(), vocab);
  }

  private static byte[] piece(String p) {
    if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
      try {
        return new byte[] {(byte) Integer.parseInt(p.substring(3, 5), 16)};
      } catch (NumberFormatException e) {
        // an ordinary piece that looks like one
      }
    }
    return p.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] byteLevel(String token, int[] map) {
    byte[] out = new byte[token.length()];
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      int b = c < map.length ? map[c] : -1;
      if (b < 0) {
        return token.getBytes(StandardCharsets.UTF_8); // not in the byte alphabet: its own text
      }
      out[i] = (byte) b;
    }
    return out;
  }

  /** GPT-2's byte alphabet, reversed: the character that stands for each byte, back to the byte. */
  private static int[] unicodeToByte() {
    int[] map = new int[512];
    Arrays.fill(map, -1);
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      if (printable) {
        map[b] = b;
      } else {
        map[256 + n] = b;
        n++;
      }
    }
    return map;
  }

  /** The bytes a token writes (null for special tokens). */
  public byte[] bytes(long id) {
    return id >= 0 && id < vocab ? bytes[(int) id] : null;
  }
}
