package io.chatserver.inference.template;

import io.chatserver.inference.template.JinjaLexer.Token;
import io.chatserver.inference.template.JinjaLexer.Type;
import io.chatserver.inference.template.JinjaNode.Expr;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Recursive descent over the lexer's tokens, with Jinja2's grammar and operator precedence. */
final class JinjaParser {

  private final List<Token> tokens;
  private int i;

  JinjaParser(List<Token> tokens) {
    this.tokens = tokens;
  }

  List<JinjaNode> template() {
    List<JinjaNode> body = statements(Set.of());
    if (peek().type() != Type.EOF) {
      throw error("unexpected '" + peek().value() + "'");
    }
    return body;
  }

  private Token peek() {
    return tokens.get(i);
  }

  private Token peek(int ahead) {
    return tokens.get(Math.min(i + ahead, tokens.size() - 1));
  }

  private Token next() {
    return tokens.get(i++);
  }

  private JinjaException error(String message) {
    return new JinjaException("template line " + peek().line() + ": " + message);
  }

  private void expectOp(String op) {
    if (!peek().isOp(op)) {
      throw error("expected '" + op + "', found '" + peek().value() + "'");
    }
    i++;
  }

  private String expectName() {
    if (peek().type() != Type.NAME) {
      throw error("expected a name, found '" + peek().value() + "'");
    }
    return next().value();
  }

  private void expectBlockEnd() {
    if (peek().type() != Type.BLOCK_END) {
      throw error("expected the end of the tag, found '" + peek().value() + "'");
    }
    i++;
  }

  /** Statements until a block tag whose first name is in {@code ends} (left unconsumed, at "{%"). */
  private List<JinjaNode> statements(Set<String> ends) {
    List<JinjaNode> body = new ArrayList<>();
    while (true) {
      Token t = peek();
      switch (t.type()) {
        case EOF -> {
          if (!ends.isEmpty()) {
            throw error("the template ends where one of " + ends + " was expected");
          }
          return body;
        }
        case TEXT -> body.add(new JinjaNode.Text(next().value()));
        case VAR_BEGIN -> {
          i++;
          Expr e = tupleOrExpression();
          if (peek().type() != Type.VAR_END) {
            throw error("expected '}}', found '" + peek().value() + "'");
          }
          i++;
          body.add(new JinjaNode.Output(e));
        }
        case BLOCK_BEGIN -> {
          Token name = peek(1);
          if (name.type() != Type.NAME) {
            throw error("expected a statement name after {%");
          }
          if (ends.contains(name.value())) {
            return body;
          }
          i += 2;
          body.add(statement(name.value()));
        }
        default -> throw error("unexpected '" + t.value() + "'");
      }
    }
  }

  private JinjaNode statement(String name) {
    switch (name) {
      case "if" -> {
        return ifStatement();
      }
      case "for" -> {
        return forStatement();
      }
      case "set" -> {
        return setStatement();
      }
      case "macro" -> {
        return macroStatement();
      }
      case "break" -> {
        expectBlockEnd();
        return new JinjaNode.Break();
      }
      case "continue" -> {
        expectBlockEnd();
        return new JinjaNode.Continue();
      }
      case "generation" -> {
        expectBlockEnd();
        List<JinjaNode> body = statements(Set.of("endgeneration"));
        endTag("endgeneration");
        return new JinjaNode.Block(body);
      }
      case "filter" -> {
        String filter = expectName();
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = new LinkedHashMap<>();
        if (peek().isOp("(")) {
          callArgs(args, kwargs);
        }
        expectBlockEnd();
        List<JinjaNode> body = statements(Set.of("endfilter"));
        endTag("endfilter");
        return new JinjaNode.FilterBlock(filter, args, kwargs, body);
      }
      default -> throw error("unknown statement '" + name + "'");
    }
  }

  private void endTag(String name) {
    i++; // {%
    if (!peek().isName(name)) {
      throw error("expected " + name);
    }
    i++;
    expectBlockEnd();
  }

  private JinjaNode ifStatement() {
    List<Expr> conditions = new ArrayList<>();
    List<List<JinjaNode>> bodies = new ArrayList<>();
    conditions.add(tupleOrExpression());
    expectBlockEnd();
    while (true) {
      bodies.add(statements(Set.of("elif", "else", "endif")));
      i++; // {%
      String tag = next().value();
      if (tag.equals("elif")) {
        conditions.add(tupleOrExpression());
        expectBlockEnd();
      } else if (tag.equals("else")) {
        expectBlockEnd();
        bodies.add(statements(Set.of("endif")));
        endTag("endif");
        return new JinjaNode.If(conditions, bodies);
      } else {
        expectBlockEnd();
        return new JinjaNode.If(conditions, bodies);
      }
    }
  }

  private JinjaNode forStatement() {
    List<String> targets = new ArrayList<>();
    boolean paren = peek().isOp("(");
    if (paren) {
      i++;
    }
    targets.add(expectName());
    while (peek().isOp(",")) {
      i++;
      if (peek().type() != Type.NAME) {
        break;
      }
      targets.add(expectName());
    }
    if (paren) {
      expectOp(")");
    }
    if (!peek().isName("in")) {
      throw error("expected 'in' in a for loop");
    }
    i++;
    Expr iterable = tupleOrExpression(false);
    Expr filter = null;
    if (peek().isName("if")) {
      i++;
      filter = expression(true);
    }
    if (peek().isName("recursive")) {
      throw error("recursive for loops are not supported");
    }
    expectBlockEnd();
    List<JinjaNode> body = statements(Set.of("else", "endfor"));
    List<JinjaNode> orElse = List.of();
    i++;
    if (next().value().equals("else")) {
      expectBlockEnd();
      orElse = statements(Set.of("endfor"));
      endTag("endfor");
    } else {
      expectBlockEnd();
    }
    return new JinjaNode.For(targets, iterable, filter, body, orElse);
  }

  private JinjaNode setStatement() {
    String first = expectName();
    if (peek().isOp(".")) {
      i++;
      String attr = expectName();
      expectOp("=");
      Expr value = tupleOrExpression();
      expectBlockEnd();
      return new JinjaNode.SetAttr(first, attr, value);
    }
    List<String> targets = new ArrayList<>();
    targets.add(first);
    while (peek().isOp(",")) {
      i++;
      targets.add(expectName());
    }
    if (peek().type() == Type.BLOCK_END && targets.size() == 1) {
      i++;
      List<JinjaNode> body = statements(Set.of("endset"));
      endTag("endset");
      return new JinjaNode.SetBlock(first, body);
    }
    expectOp("=");
    Expr value = tupleOrExpression();
    expectBlockEnd();
    return new JinjaNode.Set(targets, value);
  }

  private JinjaNode macroStatement() {
    String name = expectName();
    expectOp("(");
    List<String> params = new ArrayList<>();
    List<Expr> defaults = new ArrayList<>();
    while (!peek().isOp(")")) {
      params.add(expectName());
      if (peek().isOp("=")) {
        i++;
        defaults.add(expression(true));
      } else {
        defaults.add(null);
      }
      if (!peek().isOp(",")) {
        break;
      }
      i++;
    }
    expectOp(")");
    expectBlockEnd();
    List<JinjaNode> body = statements(Set.of("endmacro"));
    i++;
    next();
    if (peek().type() == Type.NAME) {
      i++;
    }
    expectBlockEnd();
    return new JinjaNode.Macro(name, params, defaults, body);
  }

  // ---- expressions ----

  private Expr tupleOrExpression() {
    return tupleOrExpression(true);
  }

  /** An expression, or a tuple of them without parentheses ({@code a, b}). */
  private Expr tupleOrExpression(boolean withCondition) {
    Expr first = expression(withCondition);
    if (!peek().isOp(",")) {
      return first;
    }
    List<Expr> items = new ArrayList<>();
    items.add(first);
    while (peek().isOp(",")) {
      i++;
      if (peek().type() == Type.BLOCK_END || peek().type() == Type.VAR_END || peek().isOp(")")) {
        break;
      }
      items.add(expression(withCondition));
    }
    return new JinjaNode.ListLit(items, true);
  }

  private Expr expression(boolean withCondition) {
    return withCondition ? condition() : or();
  }

  private Expr condition() {
    Expr e = or();
    while (peek().isName("if")) {
      i++;
      Expr test = or();
      Expr otherwise = null;
      if (peek().isName("else")) {
        i++;
        otherwise = condition();
      }
      e = new JinjaNode.CondExpr(test, e, otherwise);
    }
    return e;
  }

  private Expr or() {
    Expr e = and();
    while (peek().isName("or")) {
      i++;
      e = new JinjaNode.Logic(true, e, and());
    }
    return e;
  }

  private Expr and() {
    Expr e = not();
    while (peek().isName("and")) {
      i++;
      e = new JinjaNode.Logic(false, e, not());
    }
    return e;
  }

  private Expr not() {
    if (peek().isName("not")) {
      i++;
      return new JinjaNode.Not(not());
    }
    return compare();
  }

  private Expr compare() {
    Expr e = math1();
    while (true) {
      Token t = peek();
      if (t.type() == Type.OP && Set.of("==", "!=", "<", ">", "<=", ">=").contains(t.value())) {
        i++;
        e = new JinjaNode.Binary(t.value(), e, math1());
      } else if (t.isName("in")) {
        i++;
        e = new JinjaNode.Binary("in", e, math1());
      } else if (t.isName("not") && peek(1).isName("in")) {
        i += 2;
        e = new JinjaNode.Not(new JinjaNode.Binary("in", e, math1()));
      } else {
        return e;
      }
    }
  }

  private Expr math1() {
    Expr e = concat();
    while (peek().isOp("+") || peek().isOp("-")) {
      String op = next().value();
      e = new JinjaNode.Binary(op, e, concat());
    }
    return e;
  }

  private Expr concat() {
    Expr e = math2();
    while (peek().isOp("~")) {
      i++;
      e = new JinjaNode.Binary("~", e, math2());
    }
    return e;
  }

  private Expr math2() {
    Expr e = pow();
    while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
      String op = next().value();
      e = new JinjaNode.Binary(op, e, pow());
    }
    return e;
  }

  private Expr pow() {
    Expr e = unary(true);
    while (peek().isOp("**")) {
      i++;
      e = new JinjaNode.Binary("**", e, unary(true));
    }
    return e;
  }

  private Expr unary(boolean withFilter) {
    Expr e;
    if (peek().isOp("-")) {
      i++;
      e = new JinjaNode.Negate(unary(false));
    } else if (peek().isOp("+")) {
      i++;
      e = unary(false);
    } else {
      e = primary();
    }
    e = postfix(e);
    if (withFilter) {
      e = filters(e);
    }
    return e;
  }

  private Expr primary() {
    Token t = next();
    switch (t.type()) {
      case NAME -> {
        return switch (t.value()) {
          case "true", "True" -> new JinjaNode.Literal(Boolean.TRUE);
          case "false", "False" -> new JinjaNode.Literal(Boolean.FALSE);
          case "none", "None" -> new JinjaNode.Literal(null);
          default -> new JinjaNode.Name(t.value());
        };
      }
      case STRING -> {
        StringBuilder sb = new StringBuilder(t.value());
        while (peek().type() == Type.STRING) {
          sb.append(next().value());
        }
        return new JinjaNode.Literal(sb.toString());
      }
      case INT -> {
        try {
          return new JinjaNode.Literal(Long.parseLong(t.value()));
        } catch (NumberFormatException e) {
          throw error("the number " + t.value() + " is too large");
        }
      }
      case FLOAT -> {
        return new JinjaNode.Literal(Double.parseDouble(t.value()));
      }
      case OP -> {
        switch (t.value()) {
          case "(" -> {
            if (peek().isOp(")")) {
              i++;
              return new JinjaNode.ListLit(List.of(), true);
            }
            Expr e = expression(true);
            if (peek().isOp(",")) {
              List<Expr> items = new ArrayList<>();
              items.add(e);
              while (peek().isOp(",")) {
                i++;
                if (peek().isOp(")")) {
                  break;
                }
                items.add(expression(true));
              }
              expectOp(")");
              return new JinjaNode.ListLit(items, true);
            }
            expectOp(")");
            return e;
          }
          case "[" -> {
            List<Expr> items = new ArrayList<>();
            while (!peek().isOp("]")) {
              items.add(expression(true));
              if (!peek().isOp(",")) {
                break;
              }
              i++;
            }
            expectOp("]");
            return new JinjaNode.ListLit(items, false);
          }
          case "{" -> {
            List<Expr> keys = new ArrayList<>();
            List<Expr> values = new ArrayList<>();
            while (!peek().isOp("}")) {
              keys.add(expression(true));
              expectOp(":");
              values.add(expression(true));
              if (!peek().isOp(",")) {
                break;
              }
              i++;
            }
            expectOp("}");
            return new JinjaNode.DictLit(keys, values);
          }
          default -> {
            i--;
            throw error("unexpected '" + t.value() + "'");
          }
        }
      }
      default -> {
        i--;
        throw error("unexpected '" + t.value() + "'");
      }
    }
  }

  private Expr postfix(Expr e) {
    while (true) {
      Token t = peek();
      if (t.isOp(".")) {
        i++;
        Token n = next();
        if (n.type() == Type.NAME) {
          e = new JinjaNode.GetAttr(e, n.value());
        } else if (n.type() == Type.INT) {
          e = new JinjaNode.GetItem(e, new JinjaNode.Literal(Long.parseLong(n.value())));
        } else {
          i--;
          throw error("expected a name after '.'");
        }
      } else if (t.isOp("[")) {
        i++;
        e = subscript(e);
      } else if (t.isOp("(")) {
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = new LinkedHashMap<>();
        callArgs(args, kwargs);
        e = new JinjaNode.Call(e, args, kwargs);
      } else {
        return e;
      }
    }
  }

  private Expr subscript(Expr target) {
    Expr[] parts = new Expr[3];
    int part = 0;
    boolean slice = false;
    while (!peek().isOp("]")) {
      if (peek().isOp(":")) {
        i++;
        slice = true;
        part++;
        if (part > 2) {
          throw error("a slice has at most three parts");
        }
        continue;
      }
      parts[part] = expression(true);
      if (peek().isOp(",")) {
        throw error("tuple subscripts are not supported");
      }
    }
    expectOp("]");
    if (!slice) {
      if (parts[0] == null) {
        throw error("an empty subscript");
      }
      return new JinjaNode.GetItem(target, parts[0]);
    }
    return new JinjaNode.Slice(target, parts[0], parts[1], parts[2]);
  }

  private void callArgs(List<Expr> args, Map<String, Expr> kwargs) {
    expectOp("(");
    while (!peek().isOp(")")) {
      if (peek().type() == Type.NAME && peek(1).isOp("=")) {
        String name = next().value();
        i++;
        kwargs.put(name, expression(true));
      } else {
        if (!kwargs.isEmpty()) {
          throw error("a positional argument follows a keyword argument");
        }
        args.add(expression(true));
      }
      if (!peek().isOp(",")) {
        break;
      }
      i++;
    }
    expectOp(")");
  }

  private Expr filters(Expr e) {
    while (true) {
      if (peek().isOp("|")) {
        i++;
        String name = expectName();
        while (peek().isOp(".")) { // dotted filter names are not used by templates
          throw error("dotted filter names are not supported");
        }
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = new LinkedHashMap<>();
        if (peek().isOp("(")) {
          callArgs(args, kwargs);
        }
        e = new JinjaNode.Filter(e, name, args, kwargs);
      } else if (peek().isName("is")) {
        i++;
        boolean negated = false;
        if (peek().isName("not")) {
          i++;
          negated = true;
        }
        String name = expectName();
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = new LinkedHashMap<>();
        Token n = peek();
        if (n.isOp("(")) {
          callArgs(args, kwargs);
        } else if ((n.type() == Type.NAME && !Set.of("else", "or", "and", "is", "if", "in", "not").contains(n.value()))
            || n.type() == Type.STRING || n.type() == Type.INT || n.type() == Type.FLOAT || n.isOp("[") || n.isOp("{")) {
          args.add(postfix(primary()));
        }
        Expr test = new JinjaNode.Test(e, name, args);
        e = negated ? new JinjaNode.Not(test) : test;
      } else if (peek().isOp("(")) {
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = new LinkedHashMap<>();
        callArgs(args, kwargs);
        e = new JinjaNode.Call(e, args, kwargs);
      } else {
        return e;
      }
    }
  }
}
