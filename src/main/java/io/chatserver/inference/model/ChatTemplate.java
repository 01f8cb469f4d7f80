package io.chatserver.inference.model;

import io.chatserver.inference.template.Jinja;
import io.chatserver.inference.template.JinjaException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a conversation into a prompt with the model's own Jinja chat template
 * ({@code tokenizer_config.json: chat_template}, or a GGUF file's), byte for byte as Hugging
 * Face's {@code apply_chat_template} does: the same Jinja semantics ({@link Jinja}), the messages
 * as sent (tool calls and tool results included), {@code tools}, {@code add_generation_prompt},
 * {@code bos_token}/{@code eos_token}, and extra variables ({@code chat_template_kwargs}).
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

  /** A conversation the template refuses (its raise_exception message) or cannot render: the request's fault. */
  public static final class TemplateError extends RuntimeException {
    public TemplateError(String message) {
      super(message, null, false, false);
    }
  }

  private final boolean plain;
  private final String bos;
  private final String eos;
  private final Jinja jinja;
  private final String source;

  public ChatTemplate(String template, String bos, String eos) {
    this.plain = template == null || template.isBlank();
    this.source = plain ? PLAIN : template;
    this.bos = bos == null ? "" : bos;
    this.eos = eos == null ? "" : eos;
    Jinja compiled;
    try {
      compiled = Jinja.compile(source);
    } catch (JinjaException e) {
      throw new IllegalArgumentException("the chat template cannot be parsed: " + e.getMessage());
    }
    this.jinja = compiled;
  }

  /** The template of a tokenizer config (a string, or a list of named templates: "default" is taken). */
  public static ChatTemplate of(TextTokenizer tokenizer) {
    return new ChatTemplate(templateText(tokenizer.config().getValue("chat_template")), tokenizer.bosText(), tokenizer.eosText());
  }

  static String templateText(Object t) {
    if (t instanceof String s) {
      return s;
    }
    if (t instanceof JsonArray list) {
      for (Object o : list) {
        if (o instanceof JsonObject named && "default".equals(named.getString("name"))) {
          return named.getString("template");
        }
      }
    }
    return null;
  }

  public boolean isPlain() {
    return plain;
  }

  public String source() {
    return source;
  }

  /** messages: [{role, content, ...}]; ends with the assistant's turn opened when {@code addGenerationPrompt}. */
  public String render(JsonArray messages, boolean addGenerationPrompt) {
    return render(messages, null, addGenerationPrompt, null);
  }

  /**
   * As above with the tools the model may call (OpenAI's {@code tools}, passed to the template as
   * they are) and extra template variables; kwargs cannot replace messages, tools or the
   * generation prompt flag.
   */
  public String render(JsonArray messages, JsonArray tools, boolean addGenerationPrompt, JsonObject kwargs) {
    Map<String, Object> ctx = new HashMap<>();
    if (kwargs != null) {
      ctx.putAll(kwargs.getMap());
    }
    ctx.put("messages", messages);
    if (tools != null) {
      ctx.put("tools", tools);
    }
    ctx.put("add_generation_prompt", addGenerationPrompt);
    ctx.putIfAbsent("bos_token", bos);
    ctx.putIfAbsent("eos_token", eos);
    try {
      return jinja.render(ctx);
    } catch (JinjaException.Raised e) {
      throw new TemplateError(e.getMessage());
    } catch (JinjaException e) {
      throw new TemplateError("the chat template could not be rendered: " + e.getMessage());
    }
  }
}
