package io.chatserver.errors;

/**
 * What every text the server takes must be, wherever it comes from (a request body, an imported
 * document): no NUL, no lone UTF-16 surrogate (so it can be stored and sent as UTF-8 unchanged),
 * and {@code min..max} characters counted as code points.
 */
public final class TextRules {

  private TextRules() {}

  /** What is wrong with {@code s} as the text {@code field}, or null when nothing is. */
  public static String problem(String field, String s, int min, int max) {
    if (s.indexOf('\u0000') >= 0) {
      return field + " must not contain NUL characters";
    }
    if (!wellFormed(s)) {
      return field + " is not valid text (it holds a lone UTF-16 surrogate)";
    }
    int len = s.codePointCount(0, s.length());
    if (len < min || len > max) {
      return min == max ? field + " must be " + min + " characters"
          : field + " must be between " + min + " and " + max + " characters (got " + len + ")";
    }
    return null;
  }

  /** Whether every surrogate has its pair. */
  public static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
