package io.chatserver.search;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The readable text of a page, with jsoup: its title, and the text blocks of its main content
 * (headings, paragraphs, list items, code, table cells), without scripts, styles, navigation,
 * headers, footers, forms and asides. Passages are then picked by the words of the question.
 */
final class Readable {

  private static final Set<String> STOP = Set.of("the", "and", "for", "are", "was", "what", "who", "how", "why", "when", "where",
      "which", "that", "this", "with", "from", "about", "does", "did", "you", "your", "can", "tell", "please", "into", "than");

  record Text(String title, List<String> blocks) {}

  private Readable() {}

  static Text of(String body, String contentType, String url) {
    if (contentType.startsWith("text/plain")) {
      List<String> blocks = new ArrayList<>();
      for (String p : body.split("\\n\\s*\\n")) {
        if (!p.isBlank()) {
          blocks.add(p.strip().replaceAll("\\s+", " "));
        }
      }
      return new Text(url, blocks);
    }
    Document doc = Jsoup.parse(body, url);
    doc.select("script, style, noscript, template, iframe, svg, nav, header, footer, aside, form, button, "
        + "[role=navigation], [role=banner], [role=contentinfo], [aria-hidden=true], .cookie, #cookie").remove();
    Element root = doc.selectFirst("main, article, [role=main]");
    if (root == null) {
      root = doc.body() == null ? doc : doc.body();
    }
    List<String> blocks = new ArrayList<>();
    for (Element e : root.select("h1, h2, h3, h4, p, li, pre, blockquote, td, dd")) {
      if (!e.is("pre, p") && e.select("p, li, pre, blockquote").size() > (e.is("li, blockquote") ? 1 : 0)) {
        continue; // a container of other blocks (select counts the element itself): they are taken on their own
      }
      String t = e.text().strip();
      if (t.length() >= 2) {
        blocks.add(t);
      }
    }
    if (blocks.isEmpty() && !root.text().isBlank()) {
      blocks.add(root.text().strip());
    }
    String title = doc.title().isBlank() ? url : doc.title().strip();
    return new Text(title, blocks);
  }

  static Set<String> terms(String text) {
    return java.util.Arrays.stream(text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+"))
        .filter(w -> w.length() >= 3 && !STOP.contains(w)).collect(Collectors.toSet());
  }

  /**
   * The blocks most about the question, in page order, within {@code budget} characters: each
   * block scored by how many of the question's words it has (ties: earlier first), taken best
   * first while they fit (only the best one is ever cut).
   */
  static String passages(List<String> blocks, Set<String> question, int budget) {
    record Scored(int index, int score, String text) {}
    List<Scored> scored = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      Set<String> words = terms(blocks.get(i));
      int s = (int) question.stream().filter(words::contains).count();
      scored.add(new Scored(i, s, blocks.get(i)));
    }
    List<Scored> best = scored.stream().sorted((a, b) -> a.score != b.score ? b.score - a.score : a.index - b.index).toList();
    List<Scored> picked = new ArrayList<>();
    int used = 0;
    for (Scored s : best) {
      int room = budget - used;
      if (s.text.length() <= room) {
        picked.add(s);
        used += s.text.length() + 1;
      } else if (picked.isEmpty() && room > 0) {
        picked.add(new Scored(s.index, s.score, s.text.substring(0, room) + "…")); // the best one, cut to fit
        used = budget;
      } // else: a block that does not fit is left out; a smaller one may still fit
    }
    picked.sort((a, b) -> a.index - b.index);
    return picked.stream().map(Scored::text).collect(Collectors.joining("\n"));
  }
}
