package io.chatserver.inference.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A model's tokenizer: {@code tokenizer.json} through Hugging Face's tokenizers (truncation off),
 * plus what {@code tokenizer_config.json} says about special tokens, BOS and the chat template.
 */
public final class TextTokenizer implements AutoCloseable {

  private final HuggingFaceTokenizer hf;
  private final JsonObject tokenizerConfig;
  private final Integer bosId;
  private final String bosText;
  /** The tokenizer.json has no post-processor, but its config says to add BOS (our llama2.c imports). */
  private final boolean addBosByHand;
  /** The tokenizer.json's text, read again when asked for (the vocabulary's bytes, for grammars). */
  private final java.util.concurrent.Callable<String> json;

  private TextTokenizer(HuggingFaceTokenizer hf, JsonObject tokenizerConfig, Integer bosId, String bosText, boolean addBosByHand,
                        java.util.concurrent.Callable<String> json) {
    this.hf = hf;
    this.tokenizerConfig = tokenizerConfig;
    this.bosId = bosId;
    this.bosText = bosText;
    this.addBosByHand = addBosByHand;
    this.json = json;
  }

  /** The tokenizer.json this tokenizer was made from, as text. */
  public String json() throws IOException {
    try {
      return json.call();
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  public static TextTokenizer load(Path dir, ModelConfig cfg) throws IOException {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is missing: a model directory needs tokenizer.json");
    }
    Path cfgFile = dir.resolve("tokenizer_config.json");
    JsonObject tc = Files.isRegularFile(cfgFile) ? new JsonObject(Files.readString(cfgFile)) : new JsonObject();
    Map<String, String> options = options();
    HuggingFaceTokenizer hf;
    try {
      hf = HuggingFaceTokenizer.newInstance(file, options);
    } catch (RuntimeException e) {
      throw new IOException(file + " could not be read by the tokenizers library: " + e.getMessage(), e);
    }
    String bosText = tokenText(tc.getValue("bos_token"));
    Integer bosId = cfg.bosId();
    if (bosText != null) {
      long[] ids = hf.encode(bosText, false, false).getIds();
      if (ids.length == 1) {
        bosId = (int) ids[0];
      }
    }
    boolean noPostProcessor = hasNoPostProcessor(file);
    boolean byHand = noPostProcessor && tc.getBoolean("add_bos_token", false) && bosId != null;
    return new TextTokenizer(hf, tc, bosId, bosText, byHand, () -> Files.readString(file));
  }

  /**
   * A tokenizer from a tokenizer.json's text (e.g. built from a GGUF file's metadata) and its
   * tokenizer_config; the post-processor in the JSON decides what encode adds.
   */
  public static TextTokenizer of(String tokenizerJson, JsonObject tokenizerConfig, Integer bosId) throws IOException {
    Map<String, String> options = options();
    HuggingFaceTokenizer hf;
    try (java.io.InputStream in = new java.io.ByteArrayInputStream(tokenizerJson.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
      hf = HuggingFaceTokenizer.newInstance(in, options);
    } catch (RuntimeException e) {
      throw new IOException("the tokenizer could not be built: " + e.getMessage(), e);
    }
    return new TextTokenizer(hf, tokenizerConfig, bosId, tokenText(tokenizerConfig.getValue("bos_token")), false, () -> tokenizerJson);
  }

  /** Whether tokenizer.json's post_processor is null (read without loading the whole vocabulary as JSON). */
  private static boolean hasNoPostProcessor(Path file) throws IOException {
    String text = Files.readString(file);
    int at = text.indexOf("\"post_processor\"");
    if (at < 0) {
      return true;
    }
    int colon = text.indexOf(':', at);
    return colon > 0 && text.substring(colon + 1, Math.min(text.length(), colon + 10)).strip().startsWith("null");
  }

  /** The library's options: nothing added, truncated or padded unless asked. */
  private static Map<String, String> options() {
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "false");
    options.put("truncation", "false");
    options.put("padding", "false");
    options.put("maxLength", "100000000");
    return options;
  }

  /** tokenizer_config.json writes special tokens as strings or as {"content": ...} objects. */
  static String tokenText(Object v) {
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof JsonObject o) {
      return o.getString("content");
    }
    return null;
  }

  /**
   * Encodes a raw prompt as transformers does with {@code add_special_tokens=True}: the
   * tokenizer's own post-processor adds what the family adds (BOS for Llama, Gemma, Mistral;
   * nothing for Qwen). Special-token text inside the prompt becomes those tokens.
   */
  public long[] encode(String text) {
    return encode(text, true);
  }

  /** Encodes text; {@code addSpecial} false for text that already carries them (a rendered chat template). */
  public long[] encode(String text, boolean addSpecial) {
    long[] ids = hf.encode(text, addSpecial, false).getIds();
    if (!addSpecial || !addBosByHand || (ids.length > 0 && ids[0] == bosId)) {
      return ids;
    }
    long[] out = new long[ids.length + 1];
    out[0] = bosId;
    System.arraycopy(ids, 0, out, 1, ids.length);
    return out;
  }

  /** The text of generated ids, special tokens left out. */
  public String decode(long[] ids) {
    return hf.decode(ids, true);
  }

  /** The text of ids, special tokens included unless {@code skipSpecial} (transformers' decode). */
  public String decode(long[] ids, boolean skipSpecial) {
    return hf.decode(ids, skipSpecial);
  }

  public JsonObject config() {
    return tokenizerConfig;
  }

  public String bosText() {
    return bosText;
  }

  public String eosText() {
    return tokenText(tokenizerConfig.getValue("eos_token"));
  }

  /** The id of a single-token text (e.g. a FIM marker), or null when it is not one token. */
  public Long singleTokenId(String text) {
    long[] ids = hf.encode(text, false, false).getIds();
    return ids.length == 1 ? ids[0] : null;
  }

  @Override
  public void close() {
    hf.close();
  }
}
