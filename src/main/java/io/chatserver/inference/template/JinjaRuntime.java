package io.chatserver.inference.template;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Values and operations with Python's semantics, as Jinja2 in Hugging Face's sandboxed
 * environment has them: lists, dicts (insertion ordered), str, int ({@link Long}), float
 * ({@link Double}), bool, None ({@code null}) and undefined; the filters, tests, string and dict
 * methods and globals that chat templates use. Every render is bounded in steps, nesting and sizes.
 */
final class JinjaRuntime {

  static final int MAX_TEMPLATE_CHARS = 1 << 20;
  static final int MAX_OUTPUT_CHARS = 4 << 20;
  static final int MAX_VALUE_SIZE = 4 << 20;
  static final long MAX_STEPS = 2_000_000;
  static final int MAX_DEPTH = 64;

  /** Something a template can call: a macro, a global, a bound method. */
  @FunctionalInterface
  interface Callable {
    Object call(List<Object> args, Map<String, Object> kwargs);
  }

  /** A variable that is not there (it renders as nothing, is falsy, and fails when used further). */
  record Undefined(String name) {
    @Override
    public String toString() {
      return "";
    }
  }

  /** {@code namespace(...)}: the one object a template may assign attributes to. */
  static final class Namespace extends LinkedHashMap<Object, Object> {}

  /** A tuple: a list that prints with parentheses. */
  static final class Tuple extends ArrayList<Object> {
    Tuple(List<Object> items) {
      super(items);
    }
  }

  /** The {@code loop} variable of a for loop. */
  record Loop(List<Object> items, int index0) {}

  static final class LoopControl extends RuntimeException {
    LoopControl() {
      super(null, null, false, false);
    }
  }

  static final LoopControl BREAK = new LoopControl();
  static final LoopControl CONTINUE = new LoopControl();

  /** A scope: the template's, a loop body's or a macro call's, over the one it is in. */
  static final class Frame {
    private final Frame parent;
    private final Map<String, Object> vars = new HashMap<>();

    Frame(Frame parent) {
      this.parent = parent;
    }

    void set(String name, Object value) {
      vars.put(name, value);
    }

    Object get(String name) {
      for (Frame f = this; f != null; f = f.parent) {
        if (f.vars.containsKey(name)) {
          return f.vars.get(name);
        }
      }
      return null;
    }

    Object lookup(String name) {
      for (Frame f = this; f != null; f = f.parent) {
        if (f.vars.containsKey(name)) {
          return f.vars.get(name);
        }
      }
      return new Undefined(name);
    }
  }

  private long steps;
  private int depth;

  String render(List<JinjaNode> body, Map<String, Object> variables) {
    Frame globals = new Frame(null);
    globals.set("raise_exception", (Callable) (args, kw) -> {
      throw new JinjaException.Raised(args.isEmpty() ? "" : str(args.get(0)));
    });
    globals.set("strftime_now", (Callable) (args, kw) -> strftime(args.isEmpty() ? "" : str(args.get(0)), ZonedDateTime.now()));
    globals.set("namespace", (Callable) (args, kw) -> {
      Namespace ns = new Namespace();
      for (Object a : args) {
        if (a instanceof Map<?, ?> m) {
          ns.putAll(m);
        }
      }
      ns.putAll(kw);
      return ns;
    });
    globals.set("dict", (Callable) (args, kw) -> {
      Map<Object, Object> d = new LinkedHashMap<>();
      for (Object a : args) {
        if (a instanceof Map<?, ?> m) {
          d.putAll(m);
        }
      }
      d.putAll(kw);
      return d;
    });
    globals.set("range", (Callable) (args, kw) -> range(args));
    Frame top = new Frame(globals);
    variables.forEach((k, v) -> top.set(k, fromJson(v)));
    StringBuilder out = new StringBuilder();
    try {
      JinjaNode.renderAll(body, this, top, out);
    } catch (LoopControl c) {
      throw new JinjaException("break or continue outside a loop");
    }
    return out.toString();
  }

  // ---- limits ----

  void step() {
    if (++steps > MAX_STEPS) {
      throw new JinjaException("the template takes too many steps (over " + MAX_STEPS + ")");
    }
  }

  void enter() {
    if (++depth > MAX_DEPTH) {
      throw new JinjaException("the template's macros nest deeper than " + MAX_DEPTH);
    }
  }

  void leave() {
    depth--;
  }

  void append(StringBuilder out, String s) {
    if (out.length() + (long) s.length() > MAX_OUTPUT_CHARS) {
      throw new JinjaException("the template's output is longer than " + MAX_OUTPUT_CHARS + " characters");
    }
    out.append(s);
  }

  private static <T> T sized(T value, long size) {
    if (size > MAX_VALUE_SIZE) {
      throw new JinjaException("the template builds a value larger than " + MAX_VALUE_SIZE);
    }
    return value;
  }

  // ---- conversions ----

  /** JSON-like input (Vert.x JSON, Java collections, any Number) as template values. */
  @SuppressWarnings("unchecked")
  static Object fromJson(Object v) {
    if (v instanceof io.vertx.core.json.JsonObject o) {
      return fromJson(o.getMap());
    }
    if (v instanceof io.vertx.core.json.JsonArray a) {
      return fromJson(a.getList());
    }
    if (v instanceof Map<?, ?> m && !(v instanceof Namespace)) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, x) -> out.put(k, fromJson(x)));
      return out;
    }
    if (v instanceof List<?> l && !(v instanceof Tuple)) {
      List<Object> out = new ArrayList<>(l.size());
      l.forEach(x -> out.add(fromJson(x)));
      return out;
    }
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof Float f) {
      return f.doubleValue();
    }
    if (v instanceof java.math.BigDecimal b) {
      return b.doubleValue();
    }
    if (v instanceof java.math.BigInteger b) {
      return b.longValue();
    }
    return v;
  }

  static Object key(Object k) {
    if (k instanceof Map || k instanceof List && !(k instanceof Tuple)) {
      throw new JinjaException("unhashable type: '" + typeName(k) + "'");
    }
    return k;
  }

  static boolean truthy(Object v) {
    if (v == null || v instanceof Undefined) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof Long l) {
      return l != 0;
    }
    if (v instanceof Double d) {
      return d != 0.0;
    }
    if (v instanceof String s) {
      return !s.isEmpty();
    }
    if (v instanceof List<?> l) {
      return !l.isEmpty();
    }
    if (v instanceof Map<?, ?> m) {
      return !(m instanceof Namespace) ? !m.isEmpty() : true;
    }
    return true;
  }

  static String typeName(Object v) {
    if (v == null) {
      return "NoneType";
    }
    if (v instanceof Undefined) {
      return "Undefined";
    }
    if (v instanceof String) {
      return "str";
    }
    if (v instanceof Boolean) {
      return "bool";
    }
    if (v instanceof Long) {
      return "int";
    }
    if (v instanceof Double) {
      return "float";
    }
    if (v instanceof Tuple) {
      return "tuple";
    }
    if (v instanceof List) {
      return "list";
    }
    if (v instanceof Namespace) {
      return "Namespace";
    }
    if (v instanceof Map) {
      return "dict";
    }
    if (v instanceof Loop) {
      return "LoopContext";
    }
    return "function";
  }

  static String describe(JinjaNode.Expr e) {
    if (e instanceof JinjaNode.Name n) {
      return "'" + n.name + "'";
    }
    if (e instanceof JinjaNode.GetAttr a) {
      return "'" + a.name + "'";
    }
    return "the value";
  }

  /** Python's {@code str()}. */
  static String str(Object v) {
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Undefined) {
      return "";
    }
    return repr(v);
  }

  /** Python's {@code repr()}. */
  static String repr(Object v) {
    if (v == null) {
      return "None";
    }
    if (v instanceof Undefined) {
      return "";
    }
    if (v instanceof Boolean b) {
      return b ? "True" : "False";
    }
    if (v instanceof Long l) {
      return l.toString();
    }
    if (v instanceof Double d) {
      return pyFloat(d);
    }
    if (v instanceof String s) {
      return pyStringRepr(s);
    }
    if (v instanceof Tuple t) {
      StringBuilder sb = new StringBuilder("(");
      for (int i = 0; i < t.size(); i++) {
        sb.append(i > 0 ? ", " : "").append(repr(t.get(i)));
      }
      return sb.append(t.size() == 1 ? ",)" : ")").toString();
    }
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < l.size(); i++) {
        sb.append(i > 0 ? ", " : "").append(repr(l.get(i)));
      }
      return sb.append("]").toString();
    }
    if (v instanceof Namespace) {
      return "<Namespace>";
    }
    if (v instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("{");
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        sb.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
        first = false;
      }
      return sb.append("}").toString();
    }
    if (v instanceof Loop) {
      return "<LoopContext>";
    }
    return "<function>";
  }

  static String pyFloat(double d) {
    if (Double.isNaN(d)) {
      return "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    java.math.BigDecimal b = new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros();
    String digits = b.unscaledValue().abs().toString();
    int exp = digits.length() - 1 - b.scale(); // decimal exponent of the first digit
    String sign = d < 0 ? "-" : "";
    if (exp < -4 || exp >= 16) {
      String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return sign + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
    String plain = b.abs().toPlainString();
    return sign + (plain.contains(".") ? plain : plain + ".0");
  }

  static String pyStringRepr(String s) {
    char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder sb = new StringBuilder().append(q);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == q || c == '\\') {
        sb.append('\\').append(c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\t') {
        sb.append("\\t");
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append(q).toString();
  }

  /** Python's {@code json.dumps(v, ensure_ascii=False, indent=indent, separators=..., sort_keys=...)}. */
  static String json(Object v, Integer indent, String itemSep, String keySep, boolean sortKeys) {
    StringBuilder sb = new StringBuilder();
    json(sb, v, indent, itemSep == null ? (indent == null ? ", " : ",") : itemSep, keySep == null ? ": " : keySep, sortKeys, 0);
    return sb.toString();
  }

  private static void json(StringBuilder sb, Object v, Integer indent, String itemSep, String keySep, boolean sortKeys, int level) {
    if (sb.length() > MAX_VALUE_SIZE) {
      throw new JinjaException("tojson: the value is too large");
    }
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Boolean b) {
      sb.append(b ? "true" : "false");
    } else if (v instanceof Long l) {
      sb.append(l);
    } else if (v instanceof Double d) {
      sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : pyFloat(d));
    } else if (v instanceof String s) {
      jsonString(sb, s);
    } else if (v instanceof List<?> l) {
      if (l.isEmpty()) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          sb.append(itemSep);
        }
        newline(sb, indent, level + 1);
        json(sb, l.get(i), indent, itemSep, keySep, sortKeys, level + 1);
      }
      newline(sb, indent, level);
      sb.append(']');
    } else if (v instanceof Map<?, ?> m && !(v instanceof Namespace)) {
      if (m.isEmpty()) {
        sb.append("{}");
        return;
      }
      List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
      if (sortKeys) {
        entries.sort((a, b) -> compare(a.getKey(), b.getKey()));
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : entries) {
        if (!first) {
          sb.append(itemSep);
        }
        first = false;
        newline(sb, indent, level + 1);
        Object k = e.getKey();
        jsonString(sb, k instanceof String s ? s : k == null ? "null" : k instanceof Boolean b ? (b ? "true" : "false") : str(k));
        sb.append(keySep);
        json(sb, e.getValue(), indent, itemSep, keySep, sortKeys, level + 1);
      }
      newline(sb, indent, level);
      sb.append('}');
    } else if (v instanceof Undefined u) {
      throw new JinjaException("tojson: '" + u.name() + "' is undefined");
    } else {
      throw new JinjaException("tojson: an object of type " + typeName(v) + " is not JSON serializable");
    }
  }

  private static void newline(StringBuilder sb, Integer indent, int level) {
    if (indent != null) {
      sb.append('\n');
      sb.append(" ".repeat(Math.max(0, indent) * level));
    }
  }

  private static void jsonString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  @SuppressWarnings("unchecked")
  static List<Object> iterate(Object v) {
    if (v instanceof List<?> l) {
      return (List<Object>) l;
    }
    if (v instanceof Namespace) {
      throw new JinjaException("'Namespace' object is not iterable");
    }
    if (v instanceof Map<?, ?> m) {
      return new ArrayList<>(m.keySet());
    }
    if (v instanceof String s) {
      List<Object> out = new ArrayList<>();
      s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
      return out;
    }
    if (v instanceof Undefined) {
      return List.of();
    }
    throw new JinjaException("'" + typeName(v) + "' object is not iterable");
  }

  static int length(Object v) {
    if (v instanceof String s) {
      return s.codePointCount(0, s.length());
    }
    if (v instanceof List<?> l) {
      return l.size();
    }
    if (v instanceof Map<?, ?> m && !(v instanceof Namespace)) {
      return m.size();
    }
    if (v instanceof Undefined) {
      return 0;
    }
    throw new JinjaException("object of type '" + typeName(v) + "' has no len()");
  }

  // ---- operators ----

  private static boolean isNumber(Object v) {
    return v instanceof Long || v instanceof Double || v instanceof Boolean;
  }

  private static double dbl(Object v) {
    return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).doubleValue();
  }

  private static long lng(Object v) {
    return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).longValue();
  }

  private static boolean integral(Object a, Object b) {
    return !(a instanceof Double) && !(b instanceof Double);
  }

  static Object binary(String op, Object a, Object b, JinjaRuntime rt) {
    switch (op) {
      case "==":
        return pyEquals(a, b);
      case "!=":
        return !pyEquals(a, b);
      case "<":
        return compare(a, b) < 0;
      case ">":
        return compare(a, b) > 0;
      case "<=":
        return compare(a, b) <= 0;
      case ">=":
        return compare(a, b) >= 0;
      case "in":
        return contains(b, a);
      case "~": {
        String s = str(a) + str(b);
        return sized(s, s.length());
      }
      default:
        break;
    }
    undefinedCheck(a);
    undefinedCheck(b);
    if (op.equals("+")) {
      if (a instanceof String x && b instanceof String y) {
        return sized(x + y, (long) x.length() + y.length());
      }
      if (a instanceof List<?> x && b instanceof List<?> y) {
        sized(null, (long) x.size() + y.size());
        List<Object> out = new ArrayList<>(x);
        out.addAll(y);
        return a instanceof Tuple ? new Tuple(out) : out;
      }
    }
    if (op.equals("*")) {
      if (a instanceof String s && isNumber(b) && !(b instanceof Double)) {
        long n = Math.max(0, lng(b));
        sized(null, n * s.length());
        return s.repeat((int) n);
      }
      if (a instanceof List<?> l && isNumber(b) && !(b instanceof Double)) {
        long n = Math.max(0, lng(b));
        sized(null, n * l.size());
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          out.addAll(l);
        }
        return out;
      }
    }
    if (op.equals("%") && a instanceof String s) {
      return percentFormat(s, b);
    }
    if (!isNumber(a) || !isNumber(b)) {
      throw new JinjaException("unsupported operand type(s) for " + op + ": '" + typeName(a) + "' and '" + typeName(b) + "'");
    }
    boolean ints = integral(a, b);
    switch (op) {
      case "+":
        return ints ? (Object) (lng(a) + lng(b)) : (Object) (dbl(a) + dbl(b));
      case "-":
        return ints ? (Object) (lng(a) - lng(b)) : (Object) (dbl(a) - dbl(b));
      case "*":
        return ints ? (Object) (lng(a) * lng(b)) : (Object) (dbl(a) * dbl(b));
      case "/":
        if (dbl(b) == 0) {
          throw new JinjaException("division by zero");
        }
        return dbl(a) / dbl(b);
      case "//":
        if (dbl(b) == 0) {
          throw new JinjaException("integer division or modulo by zero");
        }
        return ints ? (Object) Math.floorDiv(lng(a), lng(b)) : (Object) Math.floor(dbl(a) / dbl(b));
      case "%":
        if (dbl(b) == 0) {
          throw new JinjaException("integer division or modulo by zero");
        }
        if (ints) {
          return Math.floorMod(lng(a), lng(b));
        }
        double m = dbl(a) % dbl(b);
        return (m != 0 && (m < 0) != (dbl(b) < 0)) ? m + dbl(b) : m;
      case "**":
        if (ints && lng(b) >= 0) {
          return (long) Math.pow(lng(a), lng(b));
        }
        return Math.pow(dbl(a), dbl(b));
      default:
        throw new JinjaException("unknown operator " + op);
    }
  }

  private static String percentFormat(String fmt, Object args) {
    List<Object> values = args instanceof Tuple t ? t : List.of(args == null ? "None" : args);
    StringBuilder sb = new StringBuilder();
    int k = 0;
    for (int i = 0; i < fmt.length(); i++) {
      char c = fmt.charAt(i);
      if (c == '%' && i + 1 < fmt.length()) {
        char d = fmt.charAt(++i);
        if (d == '%') {
          sb.append('%');
        } else if (k < values.size()) {
          Object v = values.get(k++);
          sb.append(d == 'r' ? repr(v) : d == 'd' && isNumber(v) ? Long.toString(lng(v)) : str(v));
        } else {
          throw new JinjaException("not enough arguments for format string");
        }
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static void undefinedCheck(Object v) {
    if (v instanceof Undefined u) {
      throw new JinjaException("'" + u.name() + "' is undefined");
    }
  }

  static boolean pyEquals(Object a, Object b) {
    if (a instanceof Undefined || b instanceof Undefined) {
      return a instanceof Undefined && b instanceof Undefined;
    }
    if (isNumber(a) && isNumber(b)) {
      return dbl(a) == dbl(b) && (integral(a, b) ? lng(a) == lng(b) : true);
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size() || (a instanceof Tuple) != (b instanceof Tuple)) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!pyEquals(x.get(i), y.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y && !(a instanceof Namespace) && !(b instanceof Namespace)) {
      if (x.size() != y.size()) {
        return false;
      }
      for (Map.Entry<?, ?> e : x.entrySet()) {
        if (!y.containsKey(e.getKey()) || !pyEquals(e.getValue(), y.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Namespace || b instanceof Namespace) {
      return a == b;
    }
    return Objects.equals(a, b);
  }

  static int compare(Object a, Object b) {
    if (isNumber(a) && isNumber(b)) {
      return integral(a, b) ? Long.compare(lng(a), lng(b)) : Double.compare(dbl(a), dbl(b));
    }
    if (a instanceof String x && b instanceof String y) {
      return x.compareTo(y);
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
        int c = compare(x.get(i), y.get(i));
        if (c != 0) {
          return c;
        }
      }
      return Integer.compare(x.size(), y.size());
    }
    throw new JinjaException("'<' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
  }

  static boolean contains(Object container, Object item) {
    if (container instanceof String s) {
      if (!(item instanceof String x)) {
        throw new JinjaException("'in <string>' requires string as left operand, not " + typeName(item));
      }
      return s.contains(x);
    }
    if (container instanceof List<?> l) {
      for (Object o : l) {
        if (pyEquals(o, item)) {
          return true;
        }
      }
      return false;
    }
    if (container instanceof Map<?, ?> m && !(container instanceof Namespace)) {
      return m.containsKey(item instanceof Integer i ? (long) i : item);
    }
    if (container instanceof Undefined u) {
      throw new JinjaException("'" + u.name() + "' is undefined");
    }
    throw new JinjaException("argument of type '" + typeName(container) + "' is not iterable");
  }

  // ---- attribute and item access ----

  /** {@code obj.name}: an attribute (a method, a namespace's or loop's field), else the item. */
  Object getattr(Object obj, String name) {
    if (obj instanceof Undefined u) {
      throw new JinjaException("'" + u.name() + "' is undefined (reading ." + name + ")");
    }
    if (obj instanceof Namespace ns) {
      return ns.containsKey(name) ? ns.get(name) : new Undefined(name);
    }
    if (obj instanceof Loop loop) {
      return loopField(loop, name);
    }
    Callable method = method(obj, name);
    if (method != null) {
      return method;
    }
    if (obj instanceof Map<?, ?> m) {
      return m.containsKey(name) ? m.get(name) : new Undefined(name);
    }
    return new Undefined(name);
  }

  /** {@code obj[key]}: the item, else (for a string key) the attribute. */
  Object getitem(Object obj, Object key) {
    if (obj instanceof Undefined u) {
      throw new JinjaException("'" + u.name() + "' is undefined (reading [" + repr(key) + "])");
    }
    if (obj instanceof List<?> l && isNumber(key) && !(key instanceof Double)) {
      long i = lng(key);
      if (i < 0) {
        i += l.size();
      }
      return i >= 0 && i < l.size() ? l.get((int) i) : new Undefined("[" + lng(key) + "]");
    }
    if (obj instanceof String s && isNumber(key) && !(key instanceof Double)) {
      int[] cps = s.codePoints().toArray();
      long i = lng(key);
      if (i < 0) {
        i += cps.length;
      }
      return i >= 0 && i < cps.length ? new String(Character.toChars(cps[(int) i])) : new Undefined("[" + lng(key) + "]");
    }
    if (obj instanceof Map<?, ?> m && !(obj instanceof Namespace) && m.containsKey(key)) {
      return m.get(key);
    }
    if (key instanceof String name) {
      return getattr(obj, name);
    }
    return new Undefined("[" + repr(key) + "]");
  }

  private static Object loopField(Loop loop, String name) {
    int n = loop.items().size();
    int i = loop.index0();
    return switch (name) {
      case "index" -> (long) i + 1;
      case "index0" -> (long) i;
      case "revindex" -> (long) (n - i);
      case "revindex0" -> (long) (n - i - 1);
      case "first" -> i == 0;
      case "last" -> i == n - 1;
      case "length" -> (long) n;
      case "depth" -> 1L;
      case "depth0" -> 0L;
      case "previtem" -> i > 0 ? loop.items().get(i - 1) : new Undefined("previtem");
      case "nextitem" -> i < n - 1 ? loop.items().get(i + 1) : new Undefined("nextitem");
      case "cycle" -> (Callable) (args, kw) -> args.isEmpty() ? new Undefined("cycle") : args.get(i % args.size());
      default -> new Undefined(name);
    };
  }

  static Object slice(Object obj, Object start, Object stop, Object step) {
    long st = step == null ? 1 : lng(step);
    if (st == 0) {
      throw new JinjaException("slice step cannot be zero");
    }
    List<Object> items;
    boolean string = obj instanceof String;
    if (string) {
      items = iterate(obj);
    } else if (obj instanceof List<?> l) {
      items = new ArrayList<>(l);
    } else {
      throw new JinjaException("'" + typeName(obj) + "' object is not subscriptable");
    }
    int n = items.size();
    long lo;
    long hi;
    if (st > 0) {
      lo = start == null ? 0 : clampIndex(lng(start), n, 0, n);
      hi = stop == null ? n : clampIndex(lng(stop), n, 0, n);
    } else {
      lo = start == null ? n - 1 : clampIndex(lng(start), n, -1, n - 1);
      hi = stop == null ? -1 : clampIndex(lng(stop), n, -1, n - 1);
    }
    List<Object> out = new ArrayList<>();
    for (long i = lo; st > 0 ? i < hi : i > hi; i += st) {
      out.add(items.get((int) i));
    }
    if (string) {
      StringBuilder sb = new StringBuilder();
      out.forEach(o -> sb.append((String) o));
      return sb.toString();
    }
    return obj instanceof Tuple ? new Tuple(out) : out;
  }

  private static long clampIndex(long i, int n, int min, int max) {
    if (i < 0) {
      i += n;
    }
    return Math.max(min, Math.min(max, i));
  }

  // ---- methods of str, dict and list ----

  private Callable method(Object obj, String name) {
    if (obj instanceof String s) {
      return stringMethod(s, name);
    }
    if (obj instanceof Map<?, ?> m && !(obj instanceof Namespace)) {
      return switch (name) {
        case "items" -> (a, k) -> items(m);
        case "keys" -> (a, k) -> new ArrayList<>(m.keySet());
        case "values" -> (a, k) -> new ArrayList<>(m.values());
        case "get" -> (a, k) -> {
          if (a.isEmpty()) {
            throw new JinjaException("get expected at least 1 argument");
          }
          return m.containsKey(a.get(0)) ? m.get(a.get(0)) : (a.size() > 1 ? a.get(1) : null);
        };
        case "copy" -> (a, k) -> new LinkedHashMap<>(m);
        case "pop", "update", "clear", "setdefault", "popitem" -> (a, k) -> {
          throw new JinjaException("the template may not change a dict (" + name + ")");
        };
        default -> null;
      };
    }
    if (obj instanceof List<?> l) {
      return switch (name) {
        case "index" -> (a, k) -> {
          for (int i = 0; i < l.size(); i++) {
            if (!a.isEmpty() && pyEquals(l.get(i), a.get(0))) {
              return (long) i;
            }
          }
          throw new JinjaException("the value is not in the list");
        };
        case "count" -> (a, k) -> {
          long c = 0;
          for (Object o : l) {
            if (!a.isEmpty() && pyEquals(o, a.get(0))) {
              c++;
            }
          }
          return c;
        };
        case "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse" -> (a, k) -> {
          throw new JinjaException("the template may not change a list (" + name + ")");
        };
        default -> null;
      };
    }
    return null;
  }

  static List<Object> items(Map<?, ?> m) {
    List<Object> out = new ArrayList<>();
    m.forEach((k, v) -> out.add(new Tuple(java.util.Arrays.asList(k, v))));
    return out;
  }

  private static String arg(List<Object> a, int i) {
    if (a.size() <= i || a.get(i) == null) {
      return null;
    }
    if (!(a.get(i) instanceof String s)) {
      throw new JinjaException("expected a string argument, got " + typeName(a.get(i)));
    }
    return s;
  }

  private static Callable stringMethod(String s, String name) {
    return switch (name) {
      case "strip" -> (a, k) -> strip(s, arg(a, 0), true, true);
      case "lstrip" -> (a, k) -> strip(s, arg(a, 0), true, false);
      case "rstrip" -> (a, k) -> strip(s, arg(a, 0), false, true);
      case "split" -> (a, k) -> split(s, arg(a, 0), a.size() > 1 ? lng(a.get(1)) : -1);
      case "rsplit" -> (a, k) -> rsplit(s, arg(a, 0), a.size() > 1 ? lng(a.get(1)) : -1);
      case "splitlines" -> (a, k) -> {
        List<Object> out = new ArrayList<>();
        for (String line : s.split("\r\n|\n|\r", -1)) {
          out.add(line);
        }
        if (!out.isEmpty() && ((String) out.get(out.size() - 1)).isEmpty()) {
          out.remove(out.size() - 1);
        }
        return out;
      };
      case "startswith" -> (a, k) -> affix(s, a, true);
      case "endswith" -> (a, k) -> affix(s, a, false);
      case "upper" -> (a, k) -> s.toUpperCase(Locale.ROOT);
      case "lower" -> (a, k) -> s.toLowerCase(Locale.ROOT);
      case "title" -> (a, k) -> title(s);
      case "capitalize" -> (a, k) -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
      case "replace" -> (a, k) -> replace(s, arg(a, 0), arg(a, 1), a.size() > 2 ? lng(a.get(2)) : -1);
      case "find" -> (a, k) -> (long) s.indexOf(Objects.requireNonNullElse(arg(a, 0), ""));
      case "rfind" -> (a, k) -> (long) s.lastIndexOf(Objects.requireNonNullElse(arg(a, 0), ""));
      case "count" -> (a, k) -> {
        String sub = Objects.requireNonNullElse(arg(a, 0), "");
        if (sub.isEmpty()) {
          return (long) s.length() + 1;
        }
        long c = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
          c++;
        }
        return c;
      };
      case "join" -> (a, k) -> {
        StringBuilder sb = new StringBuilder();
        List<Object> parts = a.isEmpty() ? List.of() : iterate(a.get(0));
        for (int i = 0; i < parts.size(); i++) {
          sb.append(i > 0 ? s : "").append(str(parts.get(i)));
        }
        return sb.toString();
      };
      case "isdigit" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
      case "isalpha" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
      case "isspace" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
      case "islower" -> (a, k) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT));
      case "isupper" -> (a, k) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT));
      default -> null;
    };
  }

  private static boolean affix(String s, List<Object> a, boolean prefix) {
    if (a.isEmpty()) {
      throw new JinjaException((prefix ? "startswith" : "endswith") + " takes at least 1 argument");
    }
    List<Object> options = a.get(0) instanceof List<?> l ? new ArrayList<>(l) : List.of(a.get(0));
    for (Object o : options) {
      if (!(o instanceof String x)) {
        throw new JinjaException("expected a string argument, got " + typeName(o));
      }
      if (prefix ? s.startsWith(x) : s.endsWith(x)) {
        return true;
      }
    }
    return false;
  }

  private static boolean pySpace(int c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x1f || c == 0x85;
  }

  static String strip(String s, String chars, boolean left, boolean right) {
    int b = 0;
    int e = s.length();
    if (left) {
      while (b < e && (chars == null ? pySpace(s.charAt(b)) : chars.indexOf(s.charAt(b)) >= 0)) {
        b++;
      }
    }
    if (right) {
      while (e > b && (chars == null ? pySpace(s.charAt(e - 1)) : chars.indexOf(s.charAt(e - 1)) >= 0)) {
        e--;
      }
    }
    return s.substring(b, e);
  }

  static List<Object> split(String s, String sep, long max) {
    List<Object> out = new ArrayList<>();
    if (sep == null) {
      int i = 0;
      int n = s.length();
      while (true) {
        while (i < n && pySpace(s.charAt(i))) {
          i++;
        }
        if (i >= n) {
          break;
        }
        if (max >= 0 && out.size() >= max) {
          out.add(strip(s.substring(i), null, false, true));
          break;
        }
        int j = i;
        while (j < n && !pySpace(s.charAt(j))) {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      }
      return out;
    }
    if (sep.isEmpty()) {
      throw new JinjaException("empty separator");
    }
    int from = 0;
    while (max < 0 || out.size() < max) {
      int at = s.indexOf(sep, from);
      if (at < 0) {
        break;
      }
      out.add(s.substring(from, at));
      from = at + sep.length();
    }
    out.add(s.substring(from));
    return out;
  }

  static List<Object> rsplit(String s, String sep, long max) {
    if (max < 0 || sep == null) {
      if (sep == null && max >= 0) {
        List<Object> all = split(s, null, -1);
        if (all.size() <= max + 1) {
          return all;
        }
        // rejoin the head as Python keeps it (whitespace inside it as it was)
        List<Object> tail = new ArrayList<>(all.subList(all.size() - (int) max, all.size()));
        int cut = s.length();
        for (int t = 0; t < max; t++) {
          cut = s.lastIndexOf((String) all.get(all.size() - 1 - t), cut - 1);
        }
        List<Object> out = new ArrayList<>();
        out.add(strip(s.substring(0, cut), null, false, true));
        out.addAll(tail);
        return out;
      }
      return split(s, sep, -1);
    }
    List<Object> out = new ArrayList<>();
    int end = s.length();
    while (out.size() < max) {
      int at = s.lastIndexOf(sep, end - sep.length());
      if (at < 0) {
        break;
      }
      out.add(0, s.substring(at + sep.length(), end));
      end = at;
    }
    out.add(0, s.substring(0, end));
    return out;
  }

  private static String replace(String s, String old, String with, long count) {
    if (old == null || with == null) {
      throw new JinjaException("replace expects two strings");
    }
    if (count < 0) {
      String r = s.replace(old, with);
      return sized(r, r.length());
    }
    StringBuilder sb = new StringBuilder();
    int from = 0;
    for (long c = 0; c < count; c++) {
      int at = old.isEmpty() ? (from <= s.length() ? from : -1) : s.indexOf(old, from);
      if (at < 0) {
        break;
      }
      sb.append(s, from, at).append(with);
      if (old.isEmpty()) {
        if (at < s.length()) {
          sb.append(s.charAt(at));
        }
        from = at + 1;
      } else {
        from = at + old.length();
      }
    }
    if (from <= s.length()) {
      sb.append(s.substring(from));
    }
    return sized(sb.toString(), sb.length());
  }

  private static String title(String s) {
    StringBuilder sb = new StringBuilder();
    boolean prevLetter = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
      prevLetter = Character.isLetter(c);
    }
    return sb.toString();
  }

  // ---- filters ----

  Object filter(String name, Object v, List<Object> a, Map<String, Object> kw) {
    switch (name) {
      case "tojson": {
        Object indent = kw.containsKey("indent") ? kw.get("indent") : a.isEmpty() ? null : a.get(0);
        Object seps = kw.get("separators");
        String itemSep = null;
        String keySep = null;
        if (seps instanceof List<?> l && l.size() == 2) {
          itemSep = str(l.get(0));
          keySep = str(l.get(1));
        }
        return json(v, indent == null ? null : (int) lng(indent), itemSep, keySep, truthy(kw.get("sort_keys")));
      }
      case "trim":
        return strip(str(v), a.isEmpty() ? null : arg(a, 0), true, true);
      case "length":
      case "count":
        return (long) length(v);
      case "string":
        return str(v);
      case "list":
        return new ArrayList<>(iterate(v));
      case "upper":
        return str(v).toUpperCase(Locale.ROOT);
      case "lower":
        return str(v).toLowerCase(Locale.ROOT);
      case "capitalize": {
        String s = str(v);
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
      }
      case "title":
        return title(str(v));
      case "first": {
        List<Object> l = iterate(v);
        return l.isEmpty() ? new Undefined("first") : l.get(0);
      }
      case "last": {
        List<Object> l = iterate(v);
        return l.isEmpty() ? new Undefined("last") : l.get(l.size() - 1);
      }
      case "join": {
        String sep = a.isEmpty() ? (String) kw.getOrDefault("d", "") : str(a.get(0));
        Object attr = kw.get("attribute");
        StringBuilder sb = new StringBuilder();
        List<Object> l = iterate(v);
        for (int i = 0; i < l.size(); i++) {
          sb.append(i > 0 ? sep : "").append(str(attr == null ? l.get(i) : attribute(l.get(i), attr)));
        }
        return sized(sb.toString(), sb.length());
      }
      case "default":
      case "d": {
        Object dflt = a.isEmpty() ? kw.getOrDefault("default_value", "") : a.get(0);
        boolean bool = a.size() > 1 ? truthy(a.get(1)) : truthy(kw.get("boolean"));
        if (v instanceof Undefined || (bool && !truthy(v))) {
          return dflt;
        }
        return v;
      }
      case "items":
        if (v instanceof Undefined) {
          return List.of();
        }
        if (!(v instanceof Map<?, ?> m) || v instanceof Namespace) {
          throw new JinjaException("items: expected a mapping, got " + typeName(v));
        }
        return items(m);
      case "dictsort": {
        if (!(v instanceof Map<?, ?> m) || v instanceof Namespace) {
          throw new JinjaException("dictsort: expected a mapping, got " + typeName(v));
        }
        boolean caseSensitive = a.size() > 0 ? truthy(a.get(0)) : truthy(kw.get("case_sensitive"));
        String by = a.size() > 1 ? str(a.get(1)) : (String) kw.getOrDefault("by", "key");
        boolean reverse = a.size() > 2 ? truthy(a.get(2)) : truthy(kw.get("reverse"));
        List<Object> l = items(m);
        int pos = by.equals("value") ? 1 : 0;
        l.sort((x, y) -> compare(sortKey(((List<?>) x).get(pos), caseSensitive), sortKey(((List<?>) y).get(pos), caseSensitive)));
        if (reverse) {
          Collections.reverse(l);
        }
        return l;
      }
      case "map": {
        List<Object> out = new ArrayList<>();
        if (kw.containsKey("attribute")) {
          for (Object o : iterate(v)) {
            Object r = attribute(o, kw.get("attribute"));
            out.add(r instanceof Undefined && kw.containsKey("default") ? kw.get("default") : r);
          }
          return out;
        }
        if (a.isEmpty()) {
          return new ArrayList<>(iterate(v));
        }
        String f = str(a.get(0));
        List<Object> rest = a.subList(1, a.size());
        for (Object o : iterate(v)) {
          out.add(filter(f, o, rest, Map.of()));
        }
        return out;
      }
      case "select":
      case "reject": {
        List<Object> out = new ArrayList<>();
        for (Object o : iterate(v)) {
          boolean t = a.isEmpty() ? truthy(o) : test(str(a.get(0)), o, a.subList(1, a.size()));
          if (t == name.equals("select")) {
            out.add(o);
          }
        }
        return out;
      }
      case "selectattr":
      case "rejectattr": {
        if (a.isEmpty()) {
          throw new JinjaException(name + " needs an attribute name");
        }
        List<Object> out = new ArrayList<>();
        for (Object o : iterate(v)) {
          Object x = attribute(o, a.get(0));
          boolean t = a.size() < 2 ? truthy(x) : test(str(a.get(1)), x, a.subList(2, a.size()));
          if (t == name.equals("selectattr")) {
            out.add(o);
          }
        }
        return out;
      }
      case "replace":
        return replace(str(v), arg(a, 0), arg(a, 1), a.size() > 2 ? lng(a.get(2)) : -1);
      case "int": {
        Object dflt = a.isEmpty() ? 0L : a.get(0);
        if (v instanceof Long || v instanceof Boolean) {
          return lng(v);
        }
        if (v instanceof Double d) {
          return (long) (double) d;
        }
        try {
          return Long.parseLong(str(v).strip());
        } catch (NumberFormatException e) {
          try {
            return (long) Double.parseDouble(str(v).strip());
          } catch (NumberFormatException e2) {
            return dflt;
          }
        }
      }
      case "float": {
        Object dflt = a.isEmpty() ? 0.0 : a.get(0);
        if (isNumber(v)) {
          return dbl(v);
        }
        try {
          return Double.parseDouble(str(v).strip());
        } catch (NumberFormatException e) {
          return dflt;
        }
      }
      case "abs":
        return v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(lng(v));
      case "round": {
        int precision = a.isEmpty() ? 0 : (int) lng(a.get(0));
        double scale = Math.pow(10, precision);
        return Math.rint(dbl(v) * scale) / scale;
      }
      case "sum": {
        Object total = a.isEmpty() ? kw.getOrDefault("start", 0L) : a.get(0);
        Object attr = kw.get("attribute");
        for (Object o : iterate(v)) {
          total = binary("+", total, attr == null ? o : attribute(o, attr), this);
        }
        return total;
      }
      case "min":
      case "max": {
        List<Object> l = iterate(v);
        if (l.isEmpty()) {
          return new Undefined(name);
        }
        Object best = l.get(0);
        for (Object o : l) {
          int c = compare(sortKey(o, false), sortKey(best, false));
          if (name.equals("min") ? c < 0 : c > 0) {
            best = o;
          }
        }
        return best;
      }
      case "unique": {
        LinkedHashSet<Object> seen = new LinkedHashSet<>();
        List<Object> out = new ArrayList<>();
        for (Object o : iterate(v)) {
          Object k = sortKey(o, false);
          if (seen.add(k)) {
            out.add(o);
          }
        }
        return out;
      }
      case "reverse": {
        if (v instanceof String s) {
          return new StringBuilder(s).reverse().toString();
        }
        List<Object> l = new ArrayList<>(iterate(v));
        Collections.reverse(l);
        return l;
      }
      case "sort": {
        boolean reverse = a.size() > 0 ? truthy(a.get(0)) : truthy(kw.get("reverse"));
        boolean cs = a.size() > 1 ? truthy(a.get(1)) : truthy(kw.get("case_sensitive"));
        Object attr = a.size() > 2 ? a.get(2) : kw.get("attribute");
        List<Object> l = new ArrayList<>(iterate(v));
        l.sort((x, y) -> compare(sortKey(attr == null ? x : attribute(x, attr), cs), sortKey(attr == null ? y : attribute(y, attr), cs)));
        if (reverse) {
          Collections.reverse(l);
        }
        return l;
      }
      case "safe":
        return v;
      case "e":
      case "escape":
        return str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;").replace("'", "&#39;");
      case "indent": {
        int width = a.isEmpty() ? (int) lng(kw.getOrDefault("width", 4L)) : (int) lng(a.get(0));
        boolean first = a.size() > 1 ? truthy(a.get(1)) : truthy(kw.get("first"));
        boolean blank = a.size() > 2 ? truthy(a.get(2)) : truthy(kw.get("blank"));
        String pad = " ".repeat(Math.max(0, Math.min(width, 1000)));
        String s = str(v);
        String[] lines = s.split("\n", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
          if (i > 0) {
            sb.append('\n');
          }
          boolean indentIt = (i > 0 || first) && (blank || !lines[i].isEmpty());
          sb.append(indentIt ? pad : "").append(lines[i]);
        }
        return sized(sb.toString(), sb.length());
      }
      case "wordcount":
        return (long) split(str(v), null, -1).size();
      case "center": {
        int width = a.isEmpty() ? 80 : (int) Math.min(lng(a.get(0)), 10000);
        String s = str(v);
        int total = Math.max(0, width - s.length());
        int left = total / 2 + (total % 2 == 1 && width % 2 == 1 ? 1 : 0);
        return " ".repeat(left) + s + " ".repeat(total - left);
      }
      case "batch": {
        int size = (int) Math.max(1, lng(a.get(0)));
        List<Object> out = new ArrayList<>();
        List<Object> cur = new ArrayList<>();
        for (Object o : iterate(v)) {
          cur.add(o);
          if (cur.size() == size) {
            out.add(cur);
            cur = new ArrayList<>();
          }
        }
        if (!cur.isEmpty()) {
          out.add(cur);
        }
        return out;
      }
      default:
        throw new JinjaException("no filter named '" + name + "'");
    }
  }

  private static Object sortKey(Object o, boolean caseSensitive) {
    return !caseSensitive && o instanceof String s ? s.toLowerCase(Locale.ROOT) : o;
  }

  /** An item or attribute by name, with dots for nested ones ({@code map(attribute='function.name')}). */
  private Object attribute(Object o, Object attr) {
    if (attr instanceof Long || attr instanceof Integer) {
      return getitem(o, attr);
    }
    Object cur = o;
    for (String part : str(attr).split("\\.")) {
      if (cur instanceof Undefined) {
        return cur;
      }
      cur = getitem(cur, part.matches("-?\\d+") ? (Object) Long.parseLong(part) : part);
    }
    return cur;
  }

  // ---- tests ----

  boolean test(String name, Object v, List<Object> a) {
    switch (name) {
      case "defined":
        return !(v instanceof Undefined);
      case "undefined":
        return v instanceof Undefined;
      case "none":
        return v == null;
      case "string":
        return v instanceof String;
      case "number":
        return isNumber(v);
      case "integer":
        return v instanceof Long;
      case "float":
        return v instanceof Double;
      case "boolean":
        return v instanceof Boolean;
      case "true":
        return Boolean.TRUE.equals(v);
      case "false":
        return Boolean.FALSE.equals(v);
      case "mapping":
        return v instanceof Map && !(v instanceof Namespace);
      case "sequence":
        return v instanceof String || v instanceof List || (v instanceof Map && !(v instanceof Namespace));
      case "iterable":
        return v instanceof String || v instanceof List || (v instanceof Map && !(v instanceof Namespace)) || v instanceof Undefined;
      case "callable":
        return v instanceof Callable;
      case "equalto":
      case "eq":
      case "==":
      case "sameas":
        return !a.isEmpty() && pyEquals(v, a.get(0));
      case "ne":
      case "!=":
        return a.isEmpty() || !pyEquals(v, a.get(0));
      case "lt":
      case "lessthan":
        return compare(v, a.get(0)) < 0;
      case "le":
        return compare(v, a.get(0)) <= 0;
      case "gt":
      case "greaterthan":
        return compare(v, a.get(0)) > 0;
      case "ge":
        return compare(v, a.get(0)) >= 0;
      case "in":
        return !a.isEmpty() && contains(a.get(0), v);
      case "odd":
        return lng(v) % 2 != 0;
      case "even":
        return lng(v) % 2 == 0;
      case "divisibleby":
        return lng(a.get(0)) != 0 && lng(v) % lng(a.get(0)) == 0;
      case "lower":
        return str(v).equals(str(v).toLowerCase(Locale.ROOT));
      case "upper":
        return str(v).equals(str(v).toUpperCase(Locale.ROOT));
      default:
        throw new JinjaException("no test named '" + name + "'");
    }
  }

  // ---- globals ----

  private static List<Object> range(List<Object> args) {
    if (args.isEmpty() || args.size() > 3) {
      throw new JinjaException("range expects 1 to 3 arguments");
    }
    long start = args.size() == 1 ? 0 : lng(args.get(0));
    long stop = args.size() == 1 ? lng(args.get(0)) : lng(args.get(1));
    long step = args.size() == 3 ? lng(args.get(2)) : 1;
    if (step == 0) {
      throw new JinjaException("range() arg 3 must not be zero");
    }
    long n = step > 0 ? Math.max(0, (stop - start + step - 1) / step) : Math.max(0, (start - stop - step - 1) / -step);
    if (n > 100_000) {
      throw new JinjaException("range is too large (" + n + " items)");
    }
    List<Object> out = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      out.add(start + i * step);
    }
    return out;
  }

  /** Python's {@code datetime.strftime} for the directives chat templates use. */
  static String strftime(String fmt, ZonedDateTime t) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < fmt.length(); i++) {
      char c = fmt.charAt(i);
      if (c != '%' || i + 1 >= fmt.length()) {
        sb.append(c);
        continue;
      }
      char d = fmt.charAt(++i);
      boolean noPad = false;
      if (d == '-' && i + 1 < fmt.length()) {
        noPad = true;
        d = fmt.charAt(++i);
      }
      switch (d) {
        case 'd' -> sb.append(pad(t.getDayOfMonth(), noPad));
        case 'm' -> sb.append(pad(t.getMonthValue(), noPad));
        case 'Y' -> sb.append(t.getYear());
        case 'y' -> sb.append(pad(t.getYear() % 100, noPad));
        case 'H' -> sb.append(pad(t.getHour(), noPad));
        case 'I' -> sb.append(pad(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, noPad));
        case 'M' -> sb.append(pad(t.getMinute(), noPad));
        case 'S' -> sb.append(pad(t.getSecond(), noPad));
        case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
        case 'b', 'h' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
        case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
        case 'j' -> sb.append(noPad ? Integer.toString(t.getDayOfYear()) : String.format("%03d", t.getDayOfYear()));
        case 'Z' -> sb.append(t.getZone().getId());
        case '%' -> sb.append('%');
        default -> sb.append('%').append(d);
      }
    }
    return sb.toString();
  }

  private static String pad(int v, boolean noPad) {
    return noPad || v >= 10 ? Integer.toString(v) : "0" + v;
  }
}
