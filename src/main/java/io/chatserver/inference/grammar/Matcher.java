package io.chatserver.inference.grammar;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Matches JSON text byte by byte against a {@link SchemaNode}, as a pushdown automaton whose
 * states are immutable stacks of frames (so that a state can be kept, shared and hashed while the
 * token trie is explored). A state set holds the alternatives still open (anyOf, optional
 * properties, a number that may end here). The JSON is compact: no whitespace outside strings, so
 * every byte moves the text forward. {@link #minCompletion} says how many bytes at least are still
 * needed to finish, for ending in time when tokens run short.
 */
final class Matcher {

  private Matcher() {}

  /** A stack of frames; {@code rest} is null under the bottom frame. */
  record State(Frame top, State rest) {}

  sealed interface Frame {}

  /** Before the first byte of a value. */
  record Value(SchemaNode node) implements Frame {}

  /** Inside an object with fixed properties: the next property that may come, whether one was written, and the phase. */
  record ObjF(SchemaNode.Obj node, int next, boolean emitted, int phase, List<Integer> cands, int keyPos) implements Frame {}

  static final int BEFORE = 0;
  static final int AFTER_COMMA = 1;
  static final int IN_KEY = 2;

  /** Inside any object: phases AFTER_OPEN, KEY_DONE (":" next), VALUE_DONE ("," or "}"), AFTER_COMMA. */
  record FreeObjF(int phase) implements Frame {}

  /** Inside an array: items so far and the phase (0 after "[", 1 after an item, 2 after ","). */
  record ArrF(SchemaNode.Arr node, int count, int phase) implements Frame {
    ArrF {
      if (node.max() == Integer.MAX_VALUE && count > node.min()) {
        count = node.min(); // likewise an unbounded array's count past its minimum
      }
    }
  }

  /**
   * Inside a string: characters so far; esc 0 plain, 1 after a backslash, 2-5 in \\uXXXX; {@code cont}
   * continuation bytes still due for the current UTF-8 character, the next one within [lo, hi].
   */
  record StrF(int min, int max, int len, int esc, int cont, int lo, int hi) implements Frame {
    StrF {
      if (max == Integer.MAX_VALUE && len > min) {
        len = min; // past its minimum an unbounded string's length no longer matters: equal states, cache hits
      }
    }

    StrF(int min, int max, int len, int esc) {
      this(min, max, len, esc, 0, 0x80, 0xBF);
    }
  }

  /** Inside a number: its text so far. */
  record NumF(SchemaNode.Num node, String text) implements Frame {}

  /** Inside one of several literal texts, at byte {@code pos}. */
  record LitF(List<byte[]> texts, int pos) implements Frame {}

  /** After the whole value: nothing more may come. */
  record End() implements Frame {}

  static final End END = new End();
  private static final SchemaNode.Arr ANY_ARRAY = new SchemaNode.Arr(new SchemaNode.Any(), 0, Integer.MAX_VALUE);
  private static final SchemaNode.Num ANY_NUMBER = new SchemaNode.Num(false, null, null);
  private static final SchemaNode.Str ANY_STRING = new SchemaNode.Str(0, Integer.MAX_VALUE);
  private static final List<byte[]> WORDS = List.of("true".getBytes(), "false".getBytes(), "null".getBytes());

  static State start(SchemaNode root) {
    return new State(new Value(root), new State(END, null));
  }

  /** The states after byte {@code b} (unsigned), from every state in {@code from}; empty when none can take it. */
  static List<State> feed(List<State> from, int b) {
    List<State> out = new ArrayList<>(2);
    for (State s : from) {
      step(s, b, out);
    }
    if (out.size() > 1) {
      List<State> unique = new ArrayList<>(out.size());
      for (State s : out) {
        if (!unique.contains(s)) {
          unique.add(s);
        }
      }
      return unique;
    }
    return out;
  }

  /** Whether the text may end here (the value is complete, numbers closed by the end). */
  static boolean canFinish(List<State> states) {
    for (State s : states) {
      if (finishes(s)) {
        return true;
      }
    }
    return false;
  }

  private static boolean finishes(State s) {
    for (State t = s; t != null; t = t.rest()) {
      if (t.top() instanceof End) {
        return true;
      }
      if (!(t.top() instanceof NumF n) || !numberComplete(n)) {
        return false;
      }
    }
    return false;
  }

  private static void step(State s, int b, List<State> out) {
    Frame f = s.top();
    State rest = s.rest();
    if (f instanceof Value v) {
      value(v.node(), rest, b, out);
    } else if (f instanceof ObjF o) {
      object(o, rest, b, out);
    } else if (f instanceof FreeObjF o) {
      freeObject(o, rest, b, out);
    } else if (f instanceof ArrF a) {
      array(a, rest, b, out);
    } else if (f instanceof StrF str) {
      string(str, rest, b, out);
    } else if (f instanceof NumF n) {
      number(n, rest, b, out);
    } else if (f instanceof LitF l) {
      literal(l, rest, b, out);
    }
  }

  private static void value(SchemaNode node, State rest, int b, List<State> out) {
    if (node instanceof SchemaNode.Ref r) {
      value(r.target(), rest, b, out);
    } else if (node instanceof SchemaNode.Obj o) {
      if (b == '{') {
        out.add(new State(new ObjF(o, 0, false, BEFORE, null, 0), rest));
      }
    } else if (node instanceof SchemaNode.FreeObj) {
      if (b == '{') {
        out.add(new State(new FreeObjF(0), rest));
      }
    } else if (node instanceof SchemaNode.Arr a) {
      if (b == '[') {
        out.add(new State(new ArrF(a, 0, 0), rest));
      }
    } else if (node instanceof SchemaNode.Str str) {
      if (b == '"') {
        out.add(new State(new StrF(str.min(), str.max(), 0, 0), rest));
      }
    } else if (node instanceof SchemaNode.Num n) {
      if (b == '-' || (b >= '0' && b <= '9')) {
        String text = String.valueOf((char) b);
        if (numberPrefix(n, text)) {
          out.add(new State(new NumF(n, text), rest));
        }
      }
    } else if (node instanceof SchemaNode.Literals l) {
      literal(new LitF(l.texts(), 0), rest, b, out);
    } else if (node instanceof SchemaNode.AnyOf any) {
      for (SchemaNode option : any.options()) {
        value(option, rest, b, out);
      }
    } else if (node instanceof SchemaNode.Wrapped w) {
      State inner = new State(new Value(w.inner()), w.after().length == 0 ? rest
          : new State(new LitF(List.of(w.after()), 0), rest));
      if (w.before().length == 0) {
        step(inner, b, out);
      } else {
        literal(new LitF(List.of(w.before()), 0), inner, b, out);
      }
    } else if (node instanceof SchemaNode.Any) {
      if (b == '{') {
        out.add(new State(new FreeObjF(0), rest));
      } else if (b == '[') {
        out.add(new State(new ArrF(ANY_ARRAY, 0, 0), rest));
      } else if (b == '"') {
        out.add(new State(new StrF(0, Integer.MAX_VALUE, 0, 0), rest));
      } else if (b == '-' || (b >= '0' && b <= '9')) {
        out.add(new State(new NumF(ANY_NUMBER, String.valueOf((char) b)), rest));
      } else {
        literal(new LitF(WORDS, 0), rest, b, out);
      }
    }
  }

  // ---- objects with properties ----

  /** The properties that may come next from {@code next}: the optional ones up to and including the first required one. */
  private static List<Integer> candidates(SchemaNode.Obj o, int next) {
    List<Integer> out = new ArrayList<>();
    for (int j = next; j < o.props().size(); j++) {
      out.add(j);
      if (o.props().get(j).required()) {
        break;
      }
    }
    return out;
  }

  private static boolean requiredFrom(SchemaNode.Obj o, int next) {
    for (int j = next; j < o.props().size(); j++) {
      if (o.props().get(j).required()) {
        return true;
      }
    }
    return false;
  }

  private static void object(ObjF o, State rest, int b, List<State> out) {
    SchemaNode.Obj node = o.node();
    switch (o.phase()) {
      case BEFORE -> {
        if (b == '}' && !requiredFrom(node, o.next())) {
          out.add(rest);
        } else if (o.emitted() && b == ',' && o.next() < node.props().size()) {
          out.add(new State(new ObjF(node, o.next(), true, AFTER_COMMA, null, 0), rest));
        } else if (!o.emitted() && b == '"' && o.next() < node.props().size()) {
          out.add(new State(new ObjF(node, o.next(), false, IN_KEY, candidates(node, o.next()), 1), rest));
        }
      }
      case AFTER_COMMA -> {
        if (b == '"') {
          out.add(new State(new ObjF(node, o.next(), true, IN_KEY, candidates(node, o.next()), 1), rest));
        }
      }
      default -> {
        List<Integer> still = new ArrayList<>();
        for (int j : o.cands()) {
          byte[] key = node.props().get(j).key();
          if (o.keyPos() < key.length && (key[o.keyPos()] & 0xff) == b) {
            if (o.keyPos() + 1 == key.length) {
              // the key and its colon are written: the value follows, then the next property or the end
              State after = new State(new ObjF(node, j + 1, true, BEFORE, null, 0), rest);
              out.add(new State(new Value(node.props().get(j).value()), after));
            } else {
              still.add(j);
            }
          }
        }
        if (!still.isEmpty()) {
          out.add(new State(new ObjF(node, o.next(), o.emitted(), IN_KEY, still, o.keyPos() + 1), rest));
        }
      }
    }
  }

  private static void freeObject(FreeObjF o, State rest, int b, List<State> out) {
    switch (o.phase()) {
      case 0 -> {
        if (b == '}') {
          out.add(rest);
        } else if (b == '"') {
          out.add(new State(new StrF(0, Integer.MAX_VALUE, 0, 0), new State(new FreeObjF(1), rest)));
        }
      }
      case 1 -> {
        if (b == ':') {
          out.add(new State(new Value(new SchemaNode.Any()), new State(new FreeObjF(2), rest)));
        }
      }
      case 2 -> {
        if (b == ',') {
          out.add(new State(new FreeObjF(3), rest));
        } else if (b == '}') {
          out.add(rest);
        }
      }
      default -> {
        if (b == '"') {
          out.add(new State(new StrF(0, Integer.MAX_VALUE, 0, 0), new State(new FreeObjF(1), rest)));
        }
      }
    }
  }

  private static void array(ArrF a, State rest, int b, List<State> out) {
    SchemaNode.Arr node = a.node();
    if (a.phase() == 1) {
      if (b == ',' && a.count() < node.max()) {
        out.add(new State(new ArrF(node, a.count(), 2), rest));
      } else if (b == ']' && a.count() >= node.min()) {
        out.add(rest);
      }
      return;
    }
    if (a.phase() == 0 && b == ']' && node.min() == 0) {
      out.add(rest);
      return;
    }
    if (a.count() < node.max()) {
      value(node.items(), new State(new ArrF(node, a.count() + 1, 1), rest), b, out);
    }
  }

  private static void string(StrF s, State rest, int b, List<State> out) {
    if (s.cont() > 0) {
      // inside a multi-byte character: only its continuation bytes (well-formed UTF-8 only, so the text decodes as written)
      if (b >= s.lo() && b <= s.hi()) {
        out.add(new State(new StrF(s.min(), s.max(), s.len(), 0, s.cont() - 1, 0x80, 0xBF), rest));
      }
      return;
    }
    if (s.esc() == 1) {
      if (b == 'u') {
        out.add(new State(new StrF(s.min(), s.max(), s.len(), 2), rest));
      } else if ("\"\\/bfnrt".indexOf(b) >= 0) {
        out.add(new State(new StrF(s.min(), s.max(), s.len() + 1, 0), rest));
      }
      return;
    }
    if (s.esc() >= 2) {
      if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')) {
        out.add(new State(new StrF(s.min(), s.max(), s.esc() == 5 ? s.len() + 1 : s.len(), s.esc() == 5 ? 0 : s.esc() + 1), rest));
      }
      return;
    }
    if (b == '"') {
      if (s.len() >= s.min()) {
        out.add(rest);
      }
    } else if (b == '\\') {
      if (s.len() < s.max()) {
        out.add(new State(new StrF(s.min(), s.max(), s.len(), 1), rest));
      }
    } else if (b >= 0x20 && b < 0x7f) {
      if (s.len() < s.max()) {
        out.add(new State(new StrF(s.min(), s.max(), s.len() + 1, 0), rest));
      }
    } else if (b >= 0xC2 && b <= 0xF4 && s.len() < s.max()) {
      int cont = b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
      boolean bounded = s.min() > 0 || s.max() < Integer.MAX_VALUE;
      if (cont == 3 && bounded) {
        return; // a character outside the BMP counts as one or two depending on who counts: not in a bounded string
      }
      int lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
      int hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
      out.add(new State(new StrF(s.min(), s.max(), s.len() + 1, 0, cont, lo, hi), rest));
    }
  }

  // ---- numbers ----

  private static void number(NumF n, State rest, int b, List<State> out) {
    String next = n.text() + (char) b;
    if (b < 0x80 && next.length() <= 40 && numberPrefix(n.node(), next)) {
      out.add(new State(new NumF(n.node(), next), rest));
    }
    if (numberComplete(n)) {
      step(rest, b, out); // the number ended: the byte belongs to what comes after it
    }
  }

  /** Whether {@code text} can begin a JSON number of the node (and, for bounded integers, one in range). */
  static boolean numberPrefix(SchemaNode.Num n, String text) {
    int i = 0;
    int len = text.length();
    if (text.charAt(0) == '-') {
      i = 1;
      if (n.integer() && n.min() != null && n.min().signum() >= 0) {
        return false;
      }
      if (len == 1) {
        return true;
      }
    }
    if (text.charAt(i) == '0') {
      if (len > i + 1 && (n.integer() || text.charAt(i + 1) != '.' && text.charAt(i + 1) != 'e' && text.charAt(i + 1) != 'E')) {
        return false; // no leading zeros
      }
      if (n.integer()) {
        return inRangeSomehow(n, text);
      }
    }
    int j = i;
    while (j < len && Character.isDigit(text.charAt(j))) {
      j++;
    }
    if (j == i) {
      return false;
    }
    if (n.integer()) {
      return j == len && inRangeSomehow(n, text);
    }
    if (j < len && text.charAt(j) == '.') {
      j++;
      int d = j;
      while (j < len && Character.isDigit(text.charAt(j))) {
        j++;
      }
      if (j == len) {
        return true;
      }
      if (j == d) {
        return false;
      }
    }
    if (j < len && (text.charAt(j) == 'e' || text.charAt(j) == 'E')) {
      j++;
      if (j < len && (text.charAt(j) == '+' || text.charAt(j) == '-')) {
        j++;
      }
      while (j < len && Character.isDigit(text.charAt(j))) {
        j++;
      }
    }
    return j == len;
  }

  /** Whether some integer written with this prefix lies in the node's range. */
  private static boolean inRangeSomehow(SchemaNode.Num n, String text) {
    if (n.min() == null && n.max() == null) {
      return true;
    }
    return digitsToCome(n, text) >= 0;
  }

  /** The fewest digits still to write for an in-range integer with this prefix, or -1 when none is. */
  static int digitsToCome(SchemaNode.Num n, String text) {
    boolean negative = text.startsWith("-");
    String digits = negative ? text.substring(1) : text;
    if (digits.isEmpty()) {
      return 1;
    }
    BigInteger p = new BigInteger(digits);
    if (p.signum() == 0) {
      return in(n, BigInteger.ZERO) ? 0 : -1; // "0" takes no more digits
    }
    BigInteger pow = BigInteger.ONE;
    for (int m = 0; m <= 40; m++) {
      BigInteger lo = p.multiply(pow);
      BigInteger hi = p.add(BigInteger.ONE).multiply(pow).subtract(BigInteger.ONE);
      BigInteger a = negative ? hi.negate() : lo;
      BigInteger b = negative ? lo.negate() : hi;
      BigInteger from = n.min() == null ? a : a.max(n.min());
      BigInteger to = n.max() == null ? b : b.min(n.max());
      if (from.compareTo(to) <= 0) {
        return m;
      }
      if (n.max() != null && !negative && lo.compareTo(n.max()) > 0 || n.min() != null && negative && lo.negate().compareTo(n.min()) < 0) {
        return -1; // longer numbers only move further away
      }
      pow = pow.multiply(BigInteger.TEN);
    }
    return -1;
  }

  private static boolean in(SchemaNode.Num n, BigInteger v) {
    return (n.min() == null || v.compareTo(n.min()) >= 0) && (n.max() == null || v.compareTo(n.max()) <= 0);
  }

  static boolean numberComplete(NumF f) {
    String t = f.text();
    char last = t.charAt(t.length() - 1);
    if (!Character.isDigit(last)) {
      return false;
    }
    if (f.node().integer()) {
      return in(f.node(), new BigInteger(t));
    }
    return true;
  }

  private static void literal(LitF l, State rest, int b, List<State> out) {
    List<byte[]> still = new ArrayList<>();
    boolean done = false;
    for (byte[] t : l.texts()) {
      if (l.pos() < t.length && (t[l.pos()] & 0xff) == b) {
        if (l.pos() + 1 == t.length) {
          done = true;
        } else {
          still.add(t);
        }
      }
    }
    if (done) {
      out.add(rest);
    }
    if (!still.isEmpty()) {
      out.add(new State(new LitF(still.size() == l.texts().size() ? l.texts() : still, l.pos() + 1), rest));
    }
  }

  // ---- how much is left ----

  /** The fewest bytes that finish the text from the best of these states. */
  static int minCompletion(List<State> states) {
    int best = Integer.MAX_VALUE;
    for (State s : states) {
      best = Math.min(best, minCompletion(s));
    }
    return best;
  }

  static int minCompletion(State s) {
    long total = 0;
    for (State t = s; t != null; t = t.rest()) {
      total += remaining(t.top());
    }
    return (int) Math.min(Integer.MAX_VALUE, total);
  }

  private static long requiredAfter(SchemaNode.Obj o, int from, boolean comma) {
    long sum = 0;
    boolean c = comma;
    for (int j = from; j < o.props().size(); j++) {
      SchemaNode.Prop p = o.props().get(j);
      if (p.required()) {
        sum += (c ? 1 : 0) + p.key().length + p.value().minBytes();
        c = true;
      }
    }
    return sum;
  }

  private static long remaining(Frame f) {
    if (f instanceof Value v) {
      return v.node().minBytes();
    }
    if (f instanceof ObjF o) {
      SchemaNode.Obj node = o.node();
      if (o.phase() == BEFORE) {
        return requiredAfter(node, o.next(), o.emitted()) + 1;
      }
      List<Integer> cands = o.phase() == AFTER_COMMA ? candidates(node, o.next()) : o.cands();
      int keyPos = o.phase() == AFTER_COMMA ? 0 : o.keyPos();
      long best = Long.MAX_VALUE;
      for (int j : cands) {
        SchemaNode.Prop p = node.props().get(j);
        best = Math.min(best, p.key().length - keyPos + p.value().minBytes() + requiredAfter(node, j + 1, true) + 1);
      }
      return best == Long.MAX_VALUE ? 1 : best;
    }
    if (f instanceof FreeObjF o) {
      return switch (o.phase()) {
        case 0, 2 -> 1;
        case 1 -> 3;
        default -> 5;
      };
    }
    if (f instanceof ArrF a) {
      long item = a.node().items().minBytes();
      int left = Math.max(0, a.node().min() - a.count());
      return switch (a.phase()) {
        case 0 -> a.node().min() == 0 ? 1 : left * item + (left - 1) + 1;
        case 1 -> left * (item + 1) + 1;
        default -> item + Math.max(0, left - 1) * (item + 1) + 1;
      };
    }
    if (f instanceof StrF s) {
      int escape = s.cont() > 0 ? s.cont() : s.esc() == 0 ? 0 : s.esc() == 1 ? 1 : 6 - s.esc();
      return escape + Math.max(0, s.min() - s.len() - (escape > 0 ? 1 : 0)) + 1;
    }
    if (f instanceof NumF n) {
      if (numberComplete(n)) {
        return 0;
      }
      if (n.node().integer()) {
        int d = digitsToCome(n.node(), n.text());
        return d <= 0 ? 1 : d;
      }
      return 1;
    }
    if (f instanceof LitF l) {
      int best = Integer.MAX_VALUE;
      for (byte[] t : l.texts()) {
        best = Math.min(best, t.length - l.pos());
      }
      return best;
    }
    return 0;
  }
}
