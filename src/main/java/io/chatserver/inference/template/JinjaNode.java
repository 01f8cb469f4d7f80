package io.chatserver.inference.template;

import io.chatserver.inference.template.JinjaRuntime.Frame;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The parsed template: statements render into the output, expressions evaluate to values. */
abstract class JinjaNode {

  abstract void render(JinjaRuntime rt, Frame f, StringBuilder out);

  static void renderAll(List<JinjaNode> body, JinjaRuntime rt, Frame f, StringBuilder out) {
    for (JinjaNode n : body) {
      n.render(rt, f, out);
    }
  }

  /** An expression; as a statement it renders nothing. */
  abstract static class Expr extends JinjaNode {
    abstract Object eval(JinjaRuntime rt, Frame f);

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      eval(rt, f);
    }
  }

  static final class Text extends JinjaNode {
    final String text;

    Text(String text) {
      this.text = text;
    }

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      rt.append(out, text);
    }
  }

  static final class Output extends JinjaNode {
    final Expr expr;

    Output(Expr expr) {
      this.expr = expr;
    }

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      rt.append(out, JinjaRuntime.str(expr.eval(rt, f)));
    }
  }

  static final class Block extends JinjaNode {
    final List<JinjaNode> body;

    Block(List<JinjaNode> body) {
      this.body = body;
    }

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      renderAll(body, rt, f, out);
    }
  }

  static final class FilterBlock extends JinjaNode {
    final String name;
    final List<Expr> args;
    final Map<String, Expr> kwargs;
    final List<JinjaNode> body;

    FilterBlock(String name, List<Expr> args, Map<String, Expr> kwargs, List<JinjaNode> body) {
      this.name = name;
      this.args = args;
      this.kwargs = kwargs;
      this.body = body;
    }

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      StringBuilder inner = new StringBuilder();
      renderAll(body, rt, f, inner);
      rt.append(out, JinjaRuntime.str(rt.filter(name, inner.toString(), evalAll(args, rt, f), evalAll(kwargs, rt, f))));
    }
  }

  static final class If extends JinjaNode {
    final List<Expr> conditions;
    final List<List<JinjaNode>> bodies;

    If(List<Expr> conditions, List<List<JinjaNode>> bodies) {
      this.conditions = conditions;
      this.bodies = bodies;
    }

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      for (int c = 0; c < conditions.size(); c++) {
        if (JinjaRuntime.truthy(conditions.get(c).eval(rt, f))) {
          renderAll(bodies.get(c), rt, f, out);
          return;
        }
      }
      if (bodies.size() > conditions.size()) {
        renderAll(bodies.get(conditions.size()), rt, f, out);
      }
    }
  }

  static final class Break extends JinjaNode {
    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      throw JinjaRuntime.BREAK;
    }
  }

  static final class Continue extends JinjaNode {
    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      throw JinjaRuntime.CONTINUE;
    }
  }

  static final class For extends JinjaNode {
    final List<String> targets;
    final Expr iterable;
    final Expr filter;
    final List<JinjaNode> body;
    final List<JinjaNode> orElse;

    For(List<String> targets, Expr iterable, Expr filter, List<JinjaNode> body, List<JinjaNode> orElse) {
      this.targets = targets;
      this.iterable = iterable;
      this.filter = filter;
      this.body = body;
      this.orElse = orElse;
    }

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      List<Object> items = JinjaRuntime.iterate(iterable.eval(rt, f));
      if (filter != null) {
        List<Object> kept = new ArrayList<>();
        for (Object item : items) {
          Frame probe = new Frame(f);
          bind(probe, item);
          if (JinjaRuntime.truthy(filter.eval(rt, probe))) {
            kept.add(item);
          }
        }
        items = kept;
      }
      if (items.isEmpty()) {
        renderAll(orElse, rt, f, out);
        return;
      }
      for (int k = 0; k < items.size(); k++) {
        rt.step();
        Frame inner = new Frame(f);
        bind(inner, items.get(k));
        inner.set("loop", new JinjaRuntime.Loop(items, k));
        try {
          renderAll(body, rt, inner, out);
        } catch (JinjaRuntime.LoopControl c) {
          if (c == JinjaRuntime.BREAK) {
            break;
          }
        }
      }
    }

    private void bind(Frame f, Object item) {
      if (targets.size() == 1) {
        f.set(targets.get(0), item);
        return;
      }
      List<Object> parts = JinjaRuntime.iterate(item);
      if (parts.size() != targets.size()) {
        throw new JinjaException("cannot unpack " + parts.size() + " values into " + targets.size() + " loop variables");
      }
      for (int t = 0; t < targets.size(); t++) {
        f.set(targets.get(t), parts.get(t));
      }
    }
  }

  static final class Set extends JinjaNode {
    final List<String> targets;
    final Expr value;

    Set(List<String> targets, Expr value) {
      this.targets = targets;
      this.value = value;
    }

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      Object v = value.eval(rt, f);
      if (targets.size() == 1) {
        f.set(targets.get(0), v);
        return;
      }
      List<Object> parts = JinjaRuntime.iterate(v);
      if (parts.size() != targets.size()) {
        throw new JinjaException("cannot unpack " + parts.size() + " values into " + targets.size() + " names");
      }
      for (int t = 0; t < targets.size(); t++) {
        f.set(targets.get(t), parts.get(t));
      }
    }
  }

  static final class SetBlock extends JinjaNode {
    final String target;
    final List<JinjaNode> body;

    SetBlock(String target, List<JinjaNode> body) {
      this.target = target;
      this.body = body;
    }

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      StringBuilder inner = new StringBuilder();
      renderAll(body, rt, f, inner);
      f.set(target, inner.toString());
    }
  }

  static final class SetAttr extends JinjaNode {
    final String target;
    final String attr;
    final Expr value;

    SetAttr(String target, String attr, Expr value) {
      this.target = target;
      this.attr = attr;
      this.value = value;
    }

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      Object ns = f.get(target);
      if (!(ns instanceof JinjaRuntime.Namespace n)) {
        throw new JinjaException("cannot assign attribute on non-namespace object '" + target + "'");
      }
      n.put(attr, value.eval(rt, f));
    }
  }

  static final class Macro extends JinjaNode {
    final String name;
    final List<String> params;
    final List<Expr> defaults;
    final List<JinjaNode> body;

    Macro(String name, List<String> params, List<Expr> defaults, List<JinjaNode> body) {
      this.name = name;
      this.params = params;
      this.defaults = defaults;
      this.body = body;
    }

    @Override
    void render(JinjaRuntime rt, Frame f, StringBuilder out) {
      Frame definedIn = f;
      f.set(name, (JinjaRuntime.Callable) (args, kwargs) -> {
        rt.enter();
        try {
          Frame local = new Frame(definedIn);
          for (int p = 0; p < params.size(); p++) {
            String param = params.get(p);
            Object v;
            if (p < args.size()) {
              v = args.get(p);
            } else if (kwargs.containsKey(param)) {
              v = kwargs.get(param);
            } else if (defaults.get(p) != null) {
              v = defaults.get(p).eval(rt, local);
            } else {
              v = new JinjaRuntime.Undefined(param);
            }
            local.set(param, v);
          }
          StringBuilder result = new StringBuilder();
          renderAll(body, rt, local, result);
          return result.toString();
        } finally {
          rt.leave();
        }
      });
    }
  }

  // ---- expressions ----

  static List<Object> evalAll(List<Expr> exprs, JinjaRuntime rt, Frame f) {
    List<Object> out = new ArrayList<>(exprs.size());
    for (Expr e : exprs) {
      out.add(e.eval(rt, f));
    }
    return out;
  }

  static Map<String, Object> evalAll(Map<String, Expr> exprs, JinjaRuntime rt, Frame f) {
    Map<String, Object> out = new LinkedHashMap<>();
    exprs.forEach((k, e) -> out.put(k, e.eval(rt, f)));
    return out;
  }

  static final class Literal extends Expr {
    final Object value;

    Literal(Object value) {
      this.value = value;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      return value;
    }
  }

  static final class Name extends Expr {
    final String name;

    Name(String name) {
      this.name = name;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      return f.lookup(name);
    }
  }

  static final class ListLit extends Expr {
    final List<Expr> items;
    final boolean tuple;

    ListLit(List<Expr> items, boolean tuple) {
      this.items = items;
      this.tuple = tuple;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      List<Object> out = evalAll(items, rt, f);
      return tuple ? new JinjaRuntime.Tuple(out) : out;
    }
  }

  static final class DictLit extends Expr {
    final List<Expr> keys;
    final List<Expr> values;

    DictLit(List<Expr> keys, List<Expr> values) {
      this.keys = keys;
      this.values = values;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      Map<Object, Object> out = new LinkedHashMap<>();
      for (int k = 0; k < keys.size(); k++) {
        out.put(JinjaRuntime.key(keys.get(k).eval(rt, f)), values.get(k).eval(rt, f));
      }
      return out;
    }
  }

  static final class CondExpr extends Expr {
    final Expr test;
    final Expr then;
    final Expr otherwise;

    CondExpr(Expr test, Expr then, Expr otherwise) {
      this.test = test;
      this.then = then;
      this.otherwise = otherwise;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      if (JinjaRuntime.truthy(test.eval(rt, f))) {
        return then.eval(rt, f);
      }
      return otherwise == null ? new JinjaRuntime.Undefined("(no else)") : otherwise.eval(rt, f);
    }
  }

  static final class Logic extends Expr {
    final boolean or;
    final Expr left;
    final Expr right;

    Logic(boolean or, Expr left, Expr right) {
      this.or = or;
      this.left = left;
      this.right = right;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      Object l = left.eval(rt, f);
      boolean t = JinjaRuntime.truthy(l);
      if (or ? t : !t) {
        return l;
      }
      return right.eval(rt, f);
    }
  }

  static final class Not extends Expr {
    final Expr expr;

    Not(Expr expr) {
      this.expr = expr;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      return !JinjaRuntime.truthy(expr.eval(rt, f));
    }
  }

  static final class Negate extends Expr {
    final Expr expr;

    Negate(Expr expr) {
      this.expr = expr;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      return JinjaRuntime.binary("-", 0L, expr.eval(rt, f), rt);
    }
  }

  static final class Binary extends Expr {
    final String op;
    final Expr left;
    final Expr right;

    Binary(String op, Expr left, Expr right) {
      this.op = op;
      this.left = left;
      this.right = right;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      return JinjaRuntime.binary(op, left.eval(rt, f), right.eval(rt, f), rt);
    }
  }

  static final class GetAttr extends Expr {
    final Expr target;
    final String name;

    GetAttr(Expr target, String name) {
      this.target = target;
      this.name = name;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      return rt.getattr(target.eval(rt, f), name);
    }
  }

  static final class GetItem extends Expr {
    final Expr target;
    final Expr key;

    GetItem(Expr target, Expr key) {
      this.target = target;
      this.key = key;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      return rt.getitem(target.eval(rt, f), key.eval(rt, f));
    }
  }

  static final class Slice extends Expr {
    final Expr target;
    final Expr start;
    final Expr stop;
    final Expr stepBy;

    Slice(Expr target, Expr start, Expr stop, Expr stepBy) {
      this.target = target;
      this.start = start;
      this.stop = stop;
      this.stepBy = stepBy;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      return JinjaRuntime.slice(target.eval(rt, f), start == null ? null : start.eval(rt, f),
          stop == null ? null : stop.eval(rt, f), stepBy == null ? null : stepBy.eval(rt, f));
    }
  }

  static final class Call extends Expr {
    final Expr target;
    final List<Expr> args;
    final Map<String, Expr> kwargs;

    Call(Expr target, List<Expr> args, Map<String, Expr> kwargs) {
      this.target = target;
      this.args = args;
      this.kwargs = kwargs;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      Object fn = target.eval(rt, f);
      if (!(fn instanceof JinjaRuntime.Callable c)) {
        throw new JinjaException(JinjaRuntime.describe(target) + " is not callable");
      }
      rt.step();
      return c.call(evalAll(args, rt, f), evalAll(kwargs, rt, f));
    }
  }

  static final class Filter extends Expr {
    final Expr target;
    final String name;
    final List<Expr> args;
    final Map<String, Expr> kwargs;

    Filter(Expr target, String name, List<Expr> args, Map<String, Expr> kwargs) {
      this.target = target;
      this.name = name;
      this.args = args;
      this.kwargs = kwargs;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      rt.step();
      return rt.filter(name, target.eval(rt, f), evalAll(args, rt, f), evalAll(kwargs, rt, f));
    }
  }

  static final class Test extends Expr {
    final Expr target;
    final String name;
    final List<Expr> args;

    Test(Expr target, String name, List<Expr> args) {
      this.target = target;
      this.name = name;
      this.args = args;
    }

    @Override
    Object eval(JinjaRuntime rt, Frame f) {
      return rt.test(name, target.eval(rt, f), evalAll(args, rt, f));
    }
  }
}
