package io.chatserver.inference.model.gguf;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} from a GGUF file's {@code tokenizer.ggml.*} metadata, so
 * that the same tokenizers library serves GGUF and Hugging Face models:
 * <ul>
 * <li>{@code llama} (SentencePiece vocabularies with scores): byte-fallback BPE with the "▁"
 * normalizer, merges rebuilt from the vocabulary as transformers' GGUF loader rebuilds them (every
 * split of a piece into two pieces, ordered by the piece's score, then by the halves' ids);
 * <li>{@code gpt2} (byte-level BPE with merges): the split regex named by {@code tokenizer.ggml.pre}.
 * </ul>
 * Control and user-defined tokens become added tokens; BOS (and EOS) are added when the file says so.
 */
final class GgufTokenizer {

  /** tokenizer.ggml.pre values and the split regex each names (llama.cpp's llama-vocab.cpp, as tokenizer.json writes them). */
  private static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  private static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  static final List<String> PRE_TOKENIZERS = List.of("default", "gpt-2", "llama-bpe", "llama3", "qwen2", "smollm");

  private GgufTokenizer() {}

  static String build(Map<String, Object> m, String where) throws IOException {
    String model = m.get("tokenizer.ggml.model") instanceof String s ? s : null;
    if (!(m.get("tokenizer.ggml.tokens") instanceof List<?> tokens) || tokens.isEmpty()) {
      throw new IOException(where + ": the GGUF file has no tokenizer.ggml.tokens");
    }
    List<?> types = m.get("tokenizer.ggml.token_type") instanceof List<?> t && t.size() == tokens.size() ? t : null;
    JsonObject vocab = new JsonObject();
    for (int i = 0; i < tokens.size(); i++) {
      if (!(tokens.get(i) instanceof String tok)) {
        throw new IOException(where + ": token " + i + " is not a string");
      }
      vocab.put(tok, i);
    }
    JsonArray added = new JsonArray();
    for (int i = 0; types != null && i < tokens.size(); i++) {
      long type = types.get(i) instanceof Long l ? l : 1;
      if (type == 2 || type == 3 || type == 4) { // unknown, control, user-defined
        added.add(new JsonObject().put("id", i).put("content", tokens.get(i)).put("single_word", false).put("lstrip", false)
            .put("rstrip", false).put("normalized", false).put("special", type != 4));
      }
    }
    JsonObject json = new JsonObject().put("version", "1.0").putNull("truncation").putNull("padding").put("added_tokens", added);
    if ("llama".equals(model)) {
      List<?> scores = m.get("tokenizer.ggml.scores") instanceof List<?> s && s.size() == tokens.size() ? s : null;
      JsonArray merges = m.get("tokenizer.ggml.merges") instanceof List<?> given ? split(given) : mergesFromVocabulary(tokens, scores);
      Object unk = m.get("tokenizer.ggml.unknown_token_id") instanceof Long u && u >= 0 && u < tokens.size()
          ? tokens.get(u.intValue()) : null;
      json.put("normalizer", new JsonObject().put("type", "Sequence").put("normalizers", new JsonArray()
              .add(new JsonObject().put("type", "Prepend").put("prepend", "\u2581"))
              .add(new JsonObject().put("type", "Replace").put("pattern", new JsonObject().put("String", " ")).put("content", "\u2581"))))
          .putNull("pre_tokenizer")
          .put("decoder", new JsonObject().put("type", "Sequence").put("decoders", new JsonArray()
              .add(new JsonObject().put("type", "Replace").put("pattern", new JsonObject().put("String", "\u2581")).put("content", " "))
              .add(new JsonObject().put("type", "ByteFallback"))
              .add(new JsonObject().put("type", "Fuse"))
              .add(new JsonObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0))))
          .put("model", new JsonObject().put("type", "BPE").putNull("dropout").put("unk_token", unk)
              .putNull("continuing_subword_prefix").putNull("end_of_word_suffix").put("fuse_unk", true).put("byte_fallback", true)
              .put("ignore_merges", false).put("vocab", vocab).put("merges", merges));
    } else if ("gpt2".equals(model)) {
      if (!(m.get("tokenizer.ggml.merges") instanceof List<?> given)) {
        throw new IOException(where + ": a gpt2 tokenizer needs tokenizer.ggml.merges");
      }
      String pre = m.get("tokenizer.ggml.pre") instanceof String p ? p : "default";
      JsonObject byteLevel = new JsonObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true);
      JsonObject preTokenizer = switch (pre) {
        case "llama-bpe", "llama3", "smollm" -> splitThenBytes(LLAMA3_SPLIT, byteLevel);
        case "qwen2" -> splitThenBytes(QWEN2_SPLIT, byteLevel);
        case "default", "gpt-2" -> byteLevel.copy().put("use_regex", true);
        default -> throw new IOException(where + ": pre-tokenizer '" + pre + "' is not supported (" + String.join(", ", PRE_TOKENIZERS)
            + " are)");
      };
      json.putNull("normalizer").put("pre_tokenizer", preTokenizer)
          .put("decoder", new JsonObject().put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
              .put("use_regex", true))
          .put("model", new JsonObject().put("type", "BPE").putNull("dropout").putNull("unk_token")
              .put("continuing_subword_prefix", "").put("end_of_word_suffix", "").put("fuse_unk", false).put("byte_fallback", false)
              .put("ignore_merges", pre.startsWith("llama") || pre.equals("smollm")).put("vocab", vocab).put("merges", split(given)));
    } else {
      throw new IOException(where + ": tokenizer model '" + model + "' is not supported (llama, gpt2 are)");
    }
    json.put("post_processor", postProcessor(m, tokens));
    return json.encode();
  }

  private static JsonObject splitThenBytes(String regex, JsonObject byteLevel) {
    return new JsonObject().put("type", "Sequence").put("pretokenizers", new JsonArray()
        .add(new JsonObject().put("type", "Split").put("pattern", new JsonObject().put("Regex", regex)).put("behavior", "Isolated")
            .put("invert", false))
        .add(byteLevel.copy().put("use_regex", false)));
  }

  /** BOS before (and EOS after) each sequence, as the file's add_bos_token / add_eos_token say; null for none. */
  private static JsonObject postProcessor(Map<String, Object> m, List<?> tokens) {
    String bos = Boolean.TRUE.equals(m.get("tokenizer.ggml.add_bos_token")) ? token(m, tokens, "tokenizer.ggml.bos_token_id") : null;
    String eos = Boolean.TRUE.equals(m.get("tokenizer.ggml.add_eos_token")) ? token(m, tokens, "tokenizer.ggml.eos_token_id") : null;
    if (bos == null && eos == null) {
      return null;
    }
    JsonArray single = new JsonArray();
    JsonArray pair = new JsonArray();
    JsonObject specials = new JsonObject();
    if (bos != null) {
      single.add(special(bos));
      pair.add(special(bos));
      specials.put(bos, new JsonObject().put("id", bos).put("ids", new JsonArray().add(tokens.indexOf(bos))).put("tokens",
          new JsonArray().add(bos)));
    }
    single.add(new JsonObject().put("Sequence", new JsonObject().put("id", "A").put("type_id", 0)));
    pair.add(new JsonObject().put("Sequence", new JsonObject().put("id", "A").put("type_id", 0)));
    pair.add(new JsonObject().put("Sequence", new JsonObject().put("id", "B").put("type_id", 1)));
    if (eos != null) {
      single.add(special(eos));
      pair.add(special(eos));
      specials.put(eos, new JsonObject().put("id", eos).put("ids", new JsonArray().add(tokens.indexOf(eos))).put("tokens",
          new JsonArray().add(eos)));
    }
    return new JsonObject().put("type", "TemplateProcessing").put("single", single).put("pair", pair).put("special_tokens", specials);
  }

  private static JsonObject special(String token) {
    return new JsonObject().put("SpecialToken", new JsonObject().put("id", token).put("type_id", 0));
  }

  private static String token(Map<String, Object> m, List<?> tokens, String key) {
    return m.get(key) instanceof Long id && id >= 0 && id < tokens.size() ? (String) tokens.get(id.intValue()) : null;
  }

  /** "a b" merges as ["a", "b"] pairs. */
  private static JsonArray split(List<?> merges) throws IOException {
    JsonArray out = new JsonArray();
    for (Object o : merges) {
      String s = String.valueOf(o);
      int sp = s.indexOf(' ', 1);
      if (sp < 0) {
        throw new IOException("a merge '" + s + "' has no space");
      }
      out.add(new JsonArray().add(s.substring(0, sp)).add(s.substring(sp + 1)));
    }
    return out;
  }

  /**
   * Merges for a SentencePiece vocabulary that has none: every split of a piece into two pieces of
   * the vocabulary, ranked by the piece's score (highest first). When the scores carry no order
   * (all equal, as llama.cpp's converter writes them from a tokenizer.json), the vocabulary's own
   * order ranks them, as SentencePiece numbers pieces in merge order, except runs of "▁", which
   * SentencePiece merges last (longest first): this reproduces the original tokenizer.
   */
  static JsonArray mergesFromVocabulary(List<?> tokens, List<?> scores) {
    Map<String, Integer> index = GgufCheckpoint.index(tokens);
    boolean degenerate = scores == null || scores.stream().distinct().count() <= 1;
    record Merge(String left, String right, double rank, int order) {}
    List<Merge> all = new ArrayList<>();
    int order = 0;
    for (int id = 0; id < tokens.size(); id++) {
      String piece = (String) tokens.get(id);
      int[] cps = piece.codePoints().toArray();
      boolean spaces = cps.length > 1 && piece.chars().allMatch(c -> c == '\u2581');
      double rank;
      if (!degenerate) {
        rank = scores.get(id) instanceof Double d ? d : 0;
      } else {
        rank = spaces ? -2.0 * tokens.size() + cps.length : -id;
      }
      List<Merge> local = new ArrayList<>();
      for (int k = 1; k < cps.length; k++) {
        String l = new String(cps, 0, k);
        String r = new String(cps, k, cps.length - k);
        if (index.containsKey(l) && index.containsKey(r)) {
          local.add(new Merge(l, r, rank, 0));
        }
      }
      if (spaces) {
        local.sort((x, y) -> Integer.compare(y.left().length(), x.left().length()));
      } else {
        local.sort((x, y) -> {
          int c = Integer.compare(index.get(x.left()), index.get(y.left()));
          return c != 0 ? c : Integer.compare(index.get(x.right()), index.get(y.right()));
        });
      }
      for (Merge mg : local) {
        all.add(new Merge(mg.left(), mg.right(), rank, order++));
      }
    }
    all.sort((x, y) -> {
      int c = Double.compare(y.rank(), x.rank());
      return c != 0 ? c : Integer.compare(x.order(), y.order());
    });
    JsonArray out = new JsonArray();
    for (Merge mg : all) {
      out.add(new JsonArray().add(mg.left()).add(mg.right()));
    }
    return out;
  }
}
