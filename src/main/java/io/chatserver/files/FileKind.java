package io.chatserver.files;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * What an uploaded file is, judged by its bytes (the name's extension only picks among text
 * types): PDF, PNG, JPEG, GIF, WebP, or UTF-8 text (plain, Markdown, CSV, JSON, source code). Anything
 * else, or bytes that contradict the name (a ".pdf" that is not a PDF), is refused. Also extracts
 * the text the model is given: the text itself, or a PDF's text through Apache PDFBox.
 */
public record FileKind(String contentType, boolean text) {

  private static final Map<String, String> TEXT_TYPES = Map.ofEntries(
      Map.entry("txt", "text/plain"), Map.entry("md", "text/markdown"), Map.entry("markdown", "text/markdown"),
      Map.entry("csv", "text/csv"), Map.entry("tsv", "text/tab-separated-values"), Map.entry("json", "application/json"),
      Map.entry("xml", "application/xml"), Map.entry("yaml", "application/yaml"), Map.entry("yml", "application/yaml"),
      Map.entry("html", "text/plain"), Map.entry("java", "text/x-java"), Map.entry("py", "text/x-python"),
      Map.entry("js", "text/javascript"), Map.entry("ts", "text/x-typescript"), Map.entry("c", "text/x-c"),
      Map.entry("h", "text/x-c"), Map.entry("cpp", "text/x-c++"), Map.entry("go", "text/x-go"), Map.entry("rs", "text/x-rust"),
      Map.entry("rb", "text/x-ruby"), Map.entry("sh", "text/x-shellscript"), Map.entry("sql", "text/x-sql"),
      Map.entry("kt", "text/x-kotlin"), Map.entry("cs", "text/x-csharp"), Map.entry("php", "text/x-php"),
      Map.entry("css", "text/css"), Map.entry("log", "text/plain"), Map.entry("ini", "text/plain"), Map.entry("toml", "text/plain"));

  /** Thrown for content that is not allowed, or that is not what its name says. */
  public static final class Refused extends RuntimeException {
    public Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** The kind of the bytes, checked against the name. */
  public static FileKind of(String name, byte[] bytes) {
    String ext = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
    String binary = sniff(bytes);
    if (binary != null) {
      String expected = switch (ext) {
        case "pdf" -> "application/pdf";
        case "png" -> "image/png";
        case "jpg", "jpeg" -> "image/jpeg";
        case "gif" -> "image/gif";
        case "webp" -> "image/webp";
        default -> binary; // no or another extension: the content decides
      };
      if (!expected.equals(binary) && Map.of("pdf", 1, "png", 1, "jpg", 1, "jpeg", 1, "gif", 1, "webp", 1).containsKey(ext)) {
        throw new Refused("the file is named ." + ext + " but its content is " + binary);
      }
      return new FileKind(binary, binary.equals("application/pdf"));
    }
    if (Map.of("pdf", 1, "png", 1, "jpg", 1, "jpeg", 1, "gif", 1, "webp", 1).containsKey(ext)) {
      throw new Refused("the file is named ." + ext + " but its content is not " + ext.toUpperCase(Locale.ROOT));
    }
    if (!isText(bytes)) {
      throw new Refused("only text files (txt, md, csv, json, source code), PDFs and images (PNG, JPEG, GIF, WebP) "
          + "can be attached; this content is none of them");
    }
    return new FileKind(TEXT_TYPES.getOrDefault(ext, "text/plain"), true);
  }

  private static String sniff(byte[] b) {
    if (starts(b, "%PDF-".getBytes(StandardCharsets.US_ASCII))) {
      return "application/pdf";
    }
    if (starts(b, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) {
      return "image/png";
    }
    if (starts(b, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF})) {
      return "image/jpeg";
    }
    if (starts(b, "GIF87a".getBytes(StandardCharsets.US_ASCII)) || starts(b, "GIF89a".getBytes(StandardCharsets.US_ASCII))) {
      return "image/gif";
    }
    if (b.length >= 12 && starts(b, "RIFF".getBytes(StandardCharsets.US_ASCII))
        && new String(b, 8, 4, StandardCharsets.US_ASCII).equals("WEBP")) {
      return "image/webp";
    }
    return null;
  }

  private static boolean starts(byte[] b, byte[] prefix) {
    if (b.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** Valid UTF-8 with no NUL and few control characters. */
  static boolean isText(byte[] b) {
    try {
      String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
      long control = s.chars().filter(c -> c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f').count();
      return s.indexOf('\0') < 0 && control <= s.length() / 100;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  /** The text the model is given, or null (images). A PDF that cannot be read is refused. */
  public String extract(byte[] bytes) {
    if (!text) {
      return null;
    }
    if (contentType.equals("application/pdf")) {
      try (PDDocument doc = Loader.loadPDF(bytes)) {
        return new PDFTextStripper().getText(doc).strip();
      } catch (IOException e) {
        throw new Refused("the PDF could not be read: " + e.getMessage());
      }
    }
    String s = new String(bytes, StandardCharsets.UTF_8);
    return s.startsWith("\uFEFF") ? s.substring(1) : s;
  }
}
