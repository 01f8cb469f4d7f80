package io.chatserver.inference.template;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The template engine's Python semantics where chat templates lean on them (the fixtures' eight
 * real templates are checked byte for byte in FamiliesTest), and its bounds on hostile templates:
 * each fails with a {@link JinjaException}, fast, and without running out of memory or stack.
 */
class JinjaTest {

  private static String render(String template, Map<String, Object> vars) {
    return Jinja.compile(template).render(vars);
  }

  private static String render(String template) {
    return render(template, new HashMap<>());
  }

  @Test
  void valuesPrintAsPythonPrintsThem() {
    assertEquals("True False None 1 2.5 1e-05 ['a', 1, None] {'k': [True]} ('x',)",
        render("{{ true }} {{ false }} {{ none }} {{ 1 }} {{ 2.5 }} {{ 0.00001 }} {{ ['a', 1, none] }} {{ {'k': [true]} }} {{ ('x',) }}"));
    assertEquals("[\"it's\"]", render("{{ [\"it's\"] }}"));
    assertEquals("{\"a\": [1, 2.0, null, true], \"b\": \"é\\n\"}",
        render("{{ x | tojson }}", Map.of("x", new JsonObject().put("a", new JsonArray().add(1).add(2.0).addNull().add(true)).put("b", "é\n"))));
    assertEquals("{\n    \"a\": 1\n}", render("{{ {'a': 1} | tojson(indent=4) }}"));
  }

  @Test
  void whitespaceFollowsTrimAndLstripBlocks() {
    assertEquals("a\nb\n", render("a\n  {% if true %}\nb\n  {% endif %}\n"));
    assertEquals("ab", render("a  {%- if true -%}  \n b{% endif %}"));
    assertEquals("x\n", render("x\n{# comment #}\n"));
    assertEquals("  y", render("{% if true %}\n  {{ 'y' }}{% endif %}"));
  }

  @Test
  void stringsListsAndDictsBehaveAsInPython() {
    assertEquals("b|c,d|HI|ab|['a', 'b']|x", render("{{ 'a,b'.split(',')[-1] }}|{{ 'c,d'.strip() }}|{{ 'hi'.upper() }}|"
        + "{{ 'abc'[:-1] }}|{{ 'a b'.split() }}|{{ '\\n x \\n'.strip() }}"));
    assertEquals("cba|3|True|False", render("{{ 'abc'[::-1] }}|{{ [1,2,3]|length }}|{{ 'b' in 'abc' }}|{{ 'k' in {'a': 1} }}"));
    assertEquals("a=1;b=2;", render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
        Map.of("d", new JsonObject().put("a", 1).put("b", 2))));
    assertEquals("0:a:first 1:b:last ", render("{% for x in ['a', 'b'] %}{{ loop.index0 }}:{{ x }}:{{ 'first' if loop.first else 'last' }} {% endfor %}"));
    assertEquals("2", render("{% set ns = namespace(n=0) %}{% for x in [1, 2] %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}"));
    assertEquals("0", render("{% set n = 0 %}{% for x in [1, 2] %}{% set n = n + 1 %}{% endfor %}{{ n }}"), "a loop's set stays in the loop");
    assertEquals("A,B", render("{{ ['a', 'b'] | map('upper') | join(',') }}"));
    assertEquals("x", render("{{ (users | selectattr('admin') | first).name }}", Map.of("users",
        new JsonArray().add(new JsonObject().put("name", "y").put("admin", false)).add(new JsonObject().put("name", "x").put("admin", true)))));
    assertEquals("[1, 2]", render("{% macro f(a, b=2) %}[{{ a }}, {{ b }}]{% endmacro %}{{ f(1) }}"));
    Map<String, Object> withNull = new HashMap<>();
    withNull.put("y", null);
    assertEquals("yes", render("{% if x is not defined and y is none %}yes{% endif %}", withNull));
  }

  @Test
  void raiseExceptionCarriesTheTemplatesMessage() {
    JinjaException e = assertThrows(JinjaException.Raised.class, () -> render("{{ raise_exception('Roles must alternate!') }}"));
    assertEquals("Roles must alternate!", e.getMessage());
  }

  @Test
  void syntaxErrorsNameTheLine() {
    JinjaException e = assertThrows(JinjaException.class, () -> Jinja.compile("a\nb\n{% if %}"));
    assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    assertThrows(JinjaException.class, () -> Jinja.compile("{% for x in y %}never closed"));
    assertThrows(JinjaException.class, () -> Jinja.compile("{{ 'unterminated }}"));
    assertThrows(JinjaException.class, () -> render("{{ x.y }}"), "an attribute of an undefined value");
    assertThrows(JinjaException.class, () -> render("{{ 1 + 'a' }}"));
  }

  @Test
  void hostileTemplatesFailFastWithinBounds() {
    assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
      assertThrows(JinjaException.class, () -> render(
          "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"), "too many steps");
      assertThrows(JinjaException.class, () -> render("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"), "endless recursion");
      assertThrows(JinjaException.class, () -> render(
          "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}"),
          "a string that doubles");
      assertThrows(JinjaException.class, () -> render("{{ 'x' * 1000000000 }}"), "a huge repetition");
      assertThrows(JinjaException.class, () -> render("{{ range(1000000000)|length }}"), "a huge range");
      assertThrows(JinjaException.class, () -> Jinja.compile("{{ " + "(".repeat(200_000) + "1" + ")".repeat(200_000) + " }}"),
          "nesting deep enough to overflow the stack");
      assertThrows(JinjaException.class, () -> render("{% for i in range(3) %}{{ x.append(i) }}{% endfor %}",
          Map.of("x", new JsonArray())), "no mutation of the inputs");
    });
  }
}
