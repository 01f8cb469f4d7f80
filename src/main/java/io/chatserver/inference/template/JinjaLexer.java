package io.chatserver.inference.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into text and tag tokens with Jinja2's whitespace rules as Hugging Face sets
 * them: {@code trim_blocks} (the first newline after a block or comment tag goes), {@code
 * lstrip_blocks} (spaces and tabs before a block or comment tag at the start of a line go),
 * {@code -} on either side of a tag strips all whitespace on that side, {@code +} keeps it; a single
 * trailing newline of the source is dropped and line endings become {@code \n}.
 */
final class JinjaLexer {

  enum Type { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

  record Token(Type type, String value, int line) {
    boolean is(Type t, String v) {
      return type == t && value.equals(v);
    }

    boolean isOp(String v) {
      return type == Type.OP && value.equals(v);
    }

    boolean isName(String v) {
      return type == Type.NAME && value.equals(v);
    }
  }

  private static final String[] OPERATORS = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "|", ".", ",",
      ":", "(", ")", "[", "]", "{", "}", "=", "<", ">"};

  private final String src;
  private final List<Token> out = new ArrayList<>();
  private int pos;
  private int line = 1;

  JinjaLexer(String source) {
    String s = source.replace("\r\n", "\n").replace('\r', '\n');
    this.src = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
  }

  List<Token> tokens() {
    while (pos < src.length()) {
      int tag = nextTag(pos);
      boolean lineStarting = pos == 0 || src.charAt(pos - 1) == '\n';
      String text = src.substring(pos, tag < 0 ? src.length() : tag);
      if (tag < 0) {
        emitText(text);
        pos = src.length();
        break;
      }
      char kind = src.charAt(tag + 1);
      char sign = tag + 2 < src.length() ? src.charAt(tag + 2) : ' ';
      if (sign == '-') {
        text = rstrip(text);
      } else if (sign != '+' && kind != '{') {
        int lpos = text.lastIndexOf('\n') + 1;
        if ((lpos > 0 || lineStarting) && lpos < text.length() && onlyWhitespace(text, lpos)) {
          text = text.substring(0, lpos);
        }
      }
      emitText(text);
      line += count(src, pos, tag);
      pos = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
      if (kind == '#') {
        comment();
      } else if (kind == '%' && isRaw()) {
        raw();
      } else {
        expressionTag(kind == '{' ? Type.VAR_BEGIN : Type.BLOCK_BEGIN, kind == '{' ? "}}" : "%}");
      }
    }
    out.add(new Token(Type.EOF, "", line));
    return out;
  }

  private void emitText(String text) {
    if (!text.isEmpty()) {
      out.add(new Token(Type.TEXT, text, line));
    }
  }

  private int nextTag(int from) {
    int i = from;
    while (true) {
      int b = src.indexOf('{', i);
      if (b < 0 || b + 1 >= src.length()) {
        return -1;
      }
      char c = src.charAt(b + 1);
      if (c == '{' || c == '%' || c == '#') {
        return b;
      }
      i = b + 1;
    }
  }

  private void comment() {
    int end = src.indexOf("#}", pos);
    if (end < 0) {
      throw new JinjaException("line " + line + ": a comment is not closed with #}");
    }
    boolean strip = end > pos && src.charAt(end - 1) == '-';
    boolean keep = end > pos && src.charAt(end - 1) == '+';
    line += count(src, pos, end + 2);
    pos = end + 2;
    afterTag(strip, keep, true);
  }

  private boolean isRaw() {
    int i = skipSpaces(pos);
    return src.startsWith("raw", i) && (i + 3 >= src.length() || !Character.isLetterOrDigit(src.charAt(i + 3)) && src.charAt(i + 3) != '_');
  }

  /** {% raw %} ... {% endraw %}: the text between, as it is. */
  private void raw() {
    int close = src.indexOf("%}", pos);
    if (close < 0) {
      throw new JinjaException("line " + line + ": a tag is not closed");
    }
    boolean strip = src.charAt(close - 1) == '-';
    pos = close + 2;
    afterTag(strip, false, true);
    int i = pos;
    while (true) {
      int tag = src.indexOf("{%", i);
      if (tag < 0) {
        throw new JinjaException("line " + line + ": {% raw %} is not closed with {% endraw %}");
      }
      int j = tag + 2;
      boolean leftStrip = j < src.length() && src.charAt(j) == '-';
      if (leftStrip || j < src.length() && src.charAt(j) == '+') {
        j++;
      }
      j = skipSpaces(j);
      if (src.startsWith("endraw", j)) {
        int end = src.indexOf("%}", j);
        if (end < 0) {
          throw new JinjaException("line " + line + ": a tag is not closed");
        }
        String text = src.substring(pos, tag);
        emitText(leftStrip ? rstrip(text) : text);
        line += count(src, pos, end + 2);
        boolean rs = src.charAt(end - 1) == '-';
        pos = end + 2;
        afterTag(rs, false, true);
        return;
      }
      i = tag + 2;
    }
  }

  /** After a tag: '-' eats all whitespace, trim_blocks one newline after a block or comment. */
  private void afterTag(boolean strip, boolean keep, boolean block) {
    if (strip) {
      int i = pos;
      while (i < src.length() && Character.isWhitespace(src.charAt(i))) {
        i++;
      }
      line += count(src, pos, i);
      pos = i;
    } else if (block && !keep && pos < src.length() && src.charAt(pos) == '\n') {
      pos++;
      line++;
    }
  }

  private void expressionTag(Type begin, String end) {
    out.add(new Token(begin, begin == Type.VAR_BEGIN ? "{{" : "{%", line));
    int depth = 0;
    while (true) {
      pos = skipSpaces(pos);
      if (pos >= src.length()) {
        throw new JinjaException("line " + line + ": a tag is not closed with " + end);
      }
      if (depth == 0) {
        boolean strip = src.startsWith("-" + end, pos);
        boolean keep = src.startsWith("+" + end, pos);
        if (strip || keep || src.startsWith(end, pos)) {
          pos += end.length() + (strip || keep ? 1 : 0);
          out.add(new Token(begin == Type.VAR_BEGIN ? Type.VAR_END : Type.BLOCK_END, end, line));
          afterTag(strip, keep, begin == Type.BLOCK_BEGIN);
          return;
        }
      }
      char c = src.charAt(pos);
      if (Character.isLetter(c) || c == '_') {
        int s = pos;
        while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
          pos++;
        }
        out.add(new Token(Type.NAME, src.substring(s, pos), line));
      } else if (Character.isDigit(c)) {
        number();
      } else if (c == '\'' || c == '"') {
        string(c);
      } else {
        String op = null;
        for (String o : OPERATORS) {
          if (src.startsWith(o, pos)) {
            op = o;
            break;
          }
        }
        if (op == null) {
          throw new JinjaException("line " + line + ": unexpected character '" + c + "'");
        }
        if (op.equals("(") || op.equals("[") || op.equals("{")) {
          depth++;
        } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
          depth = Math.max(0, depth - 1);
        }
        pos += op.length();
        out.add(new Token(Type.OP, op, line));
      }
    }
  }

  private void number() {
    int s = pos;
    boolean isFloat = false;
    while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
      pos++;
    }
    if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
      isFloat = true;
      pos++;
      while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
        pos++;
      }
    }
    if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
      int save = pos;
      pos++;
      if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
        pos++;
      }
      if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
        isFloat = true;
        while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
          pos++;
        }
      } else {
        pos = save;
      }
    }
    String text = src.substring(s, pos).replace("_", "");
    out.add(new Token(isFloat ? Type.FLOAT : Type.INT, text, line));
  }

  private void string(char quote) {
    StringBuilder sb = new StringBuilder();
    int i = pos + 1;
    while (true) {
      if (i >= src.length()) {
        throw new JinjaException("line " + line + ": a string is not closed");
      }
      char c = src.charAt(i);
      if (c == quote) {
        break;
      }
      if (c == '\\' && i + 1 < src.length()) {
        char e = src.charAt(i + 1);
        i += 2;
        switch (e) {
          case 'n' -> sb.append('\n');
          case 't' -> sb.append('\t');
          case 'r' -> sb.append('\r');
          case '0' -> sb.append('\0');
          case 'a' -> sb.append('\u0007');
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'v' -> sb.append('\u000b');
          case '\\' -> sb.append('\\');
          case '\'' -> sb.append('\'');
          case '"' -> sb.append('"');
          case '\n' -> { }
          case 'x' -> i = hex(sb, i, 2);
          case 'u' -> i = hex(sb, i, 4);
          case 'U' -> i = hex(sb, i, 8);
          default -> sb.append('\\').append(e);
        }
        continue;
      }
      if (c == '\n') {
        line++;
      }
      sb.append(c);
      i++;
    }
    pos = i + 1;
    out.add(new Token(Type.STRING, sb.toString(), line));
  }

  private int hex(StringBuilder sb, int i, int digits) {
    if (i + digits > src.length()) {
      throw new JinjaException("line " + line + ": a bad escape in a string");
    }
    try {
      sb.appendCodePoint(Integer.parseInt(src.substring(i, i + digits), 16));
    } catch (IllegalArgumentException e) {
      throw new JinjaException("line " + line + ": a bad escape in a string");
    }
    return i + digits;
  }

  private int skipSpaces(int i) {
    while (i < src.length() && Character.isWhitespace(src.charAt(i))) {
      if (src.charAt(i) == '\n') {
        line++;
      }
      i++;
    }
    return i;
  }

  private static boolean onlyWhitespace(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      if (!Character.isWhitespace(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  static String rstrip(String s) {
    int e = s.length();
    while (e > 0 && Character.isWhitespace(s.charAt(e - 1))) {
      e--;
    }
    return s.substring(0, e);
  }

  private static int count(String s, int from, int to) {
    int n = 0;
    for (int i = from; i < to && i < s.length(); i++) {
      if (s.charAt(i) == '\n') {
        n++;
      }
    }
    return n;
  }
}
