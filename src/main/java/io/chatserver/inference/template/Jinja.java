package io.chatserver.inference.template;

import java.util.List;

/**
 * A Jinja2 template compiled for rendering, with the environment Hugging Face's
 * {@code apply_chat_template} uses ({@code trim_blocks}, {@code lstrip_blocks}, loop controls,
 * no trailing newline kept), so that a chat template renders here byte for byte as it does in
 * Python. {@link JinjaLexer} turns the source into tokens (applying the whitespace rules),
 * {@link JinjaParser} into {@link JinjaNode}s, and {@link JinjaRuntime} evaluates them with
 * Python's semantics for values (truthiness, {@code str()}, {@code repr()}, {@code json.dumps}).
 *
 * <p>Templates are untrusted input: rendering is bounded in steps, output size, recursion depth and
 * the sizes of values it can build, and any failure is a {@link JinjaException}, never anything else.
 */
public final class Jinja {

  private final List<JinjaNode> body;

  private Jinja(List<JinjaNode> body) {
    this.body = body;
  }

  /** Parses a template; a syntax error is a {@link JinjaException} naming the line. */
  public static Jinja compile(String source) {
    if (source.length() > JinjaRuntime.MAX_TEMPLATE_CHARS) {
      throw new JinjaException("the template is longer than " + JinjaRuntime.MAX_TEMPLATE_CHARS + " characters");
    }
    try {
      List<JinjaLexer.Token> tokens = new JinjaLexer(source).tokens();
      return new Jinja(new JinjaParser(tokens).template());
    } catch (StackOverflowError e) {
      throw new JinjaException("the template is nested too deeply");
    }
  }

  /**
   * Renders with these variables (JSON-like values: maps, lists, strings, numbers, booleans,
   * null), plus the globals every chat template may use ({@code raise_exception},
   * {@code strftime_now}, {@code namespace}, {@code range}, {@code dict}).
   */
  public String render(java.util.Map<String, Object> variables) {
    JinjaRuntime rt = new JinjaRuntime();
    try {
      return rt.render(body, variables);
    } catch (StackOverflowError e) {
      throw new JinjaException("the template recursed too deeply");
    } catch (JinjaException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new JinjaException("the template failed: " + e);
    }
  }
}
