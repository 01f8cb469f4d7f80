package io.chatserver.inference.model;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a conversation into a prompt with the model's own Jinja chat template
 * ({@code tokenizer_config.json: chat_template}), as Hugging Face's apply_chat_template does.
 * Base models without a template get {@link #PLAIN}: the system text, then "User: ..." /
 * "Assistant: ..." lines, ending with "Assistant:"; generation then stops at "\nUser:".
 */
public final class ChatTemplate {

  public static final String PLAIN = "{% for m in messages %}"
      + "{% if m.role == 'system' %}{{ m.content }}\n\n"
      + "{% elif m.role == 'user' %}User: {{ m.content }}\n"
      + "{% elif m.role == 'assistant' %}Assistant: {{ m.content }}\n"
      + "{% else %}Tool: {{ m.content }}\n{% endif %}"
      + "{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}";

  /** Stop strings that go with {@link #PLAIN}, so a base model does not write the user's next turn. */
  public static final List<String> PLAIN_STOPS = List.of("\nUser:");

  /** Thrown by a template's raise_exception(). */
  public static final class TemplateError extends RuntimeException {
    public TemplateError(String message) {
      super(message, null, false, false);
    }
  }

  private final String template;
  private final boolean plain;
  private final String bos;
  private final String eos;
  private final Jinjava jinjava;

  public ChatTemplate(String template, String bos, String eos) {
    this.plain = template == null || template.isBlank();
    this.template = plain ? PLAIN : template;
    this.bos = bos == null ? "" : bos;
    this.eos = eos == null ? "" : eos;
    this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
        .withFailOnUnknownTokens(false).build());
    jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
        "raiseException", String.class));
  }

  /** The template of a tokenizer config (a string, or a list of named templates: "default" is taken). */
  public static ChatTemplate of(TextTokenizer tokenizer) {
    Object t = tokenizer.config().getValue("chat_template");
    String text = null;
    if (t instanceof String s) {
      text = s;
    } else if (t instanceof JsonArray list) {
      for (Object o : list) {
        if (o instanceof JsonObject named && "default".equals(named.getString("name"))) {
          text = named.getString("template");
        }
      }
    }
    return new ChatTemplate(text, tokenizer.bosText(), tokenizer.eosText());
  }

  public static String raiseException(String message) {
    throw new TemplateError("chat template: " + message);
  }

  public boolean isPlain() {
    return plain;
  }

  /** messages: [{role, content}]; ends with the assistant's turn opened when {@code addGenerationPrompt}. */
  public String render(JsonArray messages, boolean addGenerationPrompt) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (Object o : messages) {
      JsonObject m = (JsonObject) o;
      Map<String, Object> entry = new HashMap<>();
      entry.put("role", m.getString("role"));
      entry.put("content", m.getString("content"));
      list.add(entry);
    }
    Map<String, Object> ctx = new HashMap<>();
    ctx.put("messages", list);
    ctx.put("add_generation_prompt", addGenerationPrompt);
    ctx.put("bos_token", bos);
    ctx.put("eos_token", eos);
    try {
      return jinjava.render(template, ctx);
    } catch (TemplateError e) {
      throw e;
    } catch (RuntimeException e) {
      Throwable c = e;
      while (c.getCause() != null) {
        c = c.getCause();
        if (c instanceof TemplateError te) {
          throw te;
        }
      }
      throw new TemplateError("chat template could not be rendered: " + e.getMessage());
    }
  }
}
