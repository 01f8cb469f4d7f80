package io.chatserver.personality;

import io.chatserver.bus.InvalidField;
import io.chatserver.bus.SamplingOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The built-in personalities (one JSON file each in {@code conf/personalities/}, shipped in the
 * jar) and an admin's own folder ({@code personalities.dir}), whose files add to them or replace
 * one of the same id. A personality: its id (the file name), name, category, language,
 * description, system prompt, optional starter prompts and sampling defaults. Read once at start;
 * a file that does not parse is skipped with a warning naming it.
 */
public final class PersonalityCatalog {

  private static final Logger log = LoggerFactory.getLogger(PersonalityCatalog.class);
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

  private final Map<String, JsonObject> byId;

  public PersonalityCatalog(Map<String, JsonObject> byId) {
    this.byId = Collections.unmodifiableMap(new TreeMap<>(byId));
  }

  /** The built-in catalog, then the files of {@code extraDir} (null: none). */
  public static PersonalityCatalog load(String extraDir) {
    Map<String, JsonObject> all = new TreeMap<>();
    readBuiltIn(all);
    if (extraDir != null && !extraDir.isBlank()) {
      Path dir = Path.of(extraDir);
      if (Files.isDirectory(dir)) {
        readDir(dir, all);
      } else {
        log.warn("personalities.dir {} is not a folder; only the built-in personalities are served", dir);
      }
    }
    log.info("Personalities: {} ({} languages)", all.size(), all.values().stream().map(p -> p.getString("language")).distinct().count());
    return new PersonalityCatalog(all);
  }

  private static void readBuiltIn(Map<String, JsonObject> into) {
    try {
      URI uri = PersonalityCatalog.class.getResource("/conf/personalities").toURI();
      if ("jar".equals(uri.getScheme())) {
        FileSystem fs;
        try {
          fs = FileSystems.newFileSystem(uri, Map.of());
        } catch (FileSystemAlreadyExistsException e) {
          fs = FileSystems.getFileSystem(uri);
        }
        readDir(fs.getPath("/conf/personalities"), into);
      } else {
        readDir(Path.of(uri), into);
      }
    } catch (Exception e) {
      log.warn("The built-in personalities could not be read: {}", e.toString());
    }
  }

  private static void readDir(Path dir, Map<String, JsonObject> into) {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
        String id = f.getFileName().toString().replaceFirst("\\.json$", "");
        try {
          into.put(id, parse(id, Files.readString(f, StandardCharsets.UTF_8)));
        } catch (RuntimeException | IOException e) {
          log.warn("Skipping personality file {}: {}", f, e.getMessage());
        }
      }
    } catch (IOException e) {
      log.warn("Could not list personalities in {}: {}", dir, e.toString());
    }
  }

  /** One file's personality, checked: the required texts, starters as strings, sampling defaults as the job options allow. */
  static JsonObject parse(String id, String text) {
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("the file name must be an id of a-z, 0-9 and '-'");
    }
    JsonObject p = new JsonObject(text);
    JsonObject out = new JsonObject().put("id", id);
    for (String field : List.of("name", "category", "language", "systemPrompt")) {
      if (!(p.getValue(field) instanceof String s) || s.isBlank()) {
        throw new IllegalArgumentException(field + " is required");
      }
      out.put(field, p.getString(field).strip());
    }
    out.put("language", out.getString("language").toLowerCase());
    out.put("description", p.getString("description", ""));
    JsonArray starters = new JsonArray();
    for (Object s : p.getJsonArray("starters", new JsonArray())) {
      if (!(s instanceof String str)) {
        throw new IllegalArgumentException("starters must be strings");
      }
      starters.add(str);
    }
    out.put("starters", starters);
    try {
      out.put("settings", SamplingOptions.validate(p.getJsonObject("settings", new JsonObject()), "settings"));
    } catch (InvalidField e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    return out;
  }

  public JsonObject get(String id) {
    return byId.get(id);
  }

  /** The personalities of a language and/or category (null: any), by name. */
  public JsonArray list(String language, String category) {
    JsonArray out = new JsonArray();
    byId.values().stream()
        .filter(p -> language == null || language.equalsIgnoreCase(p.getString("language")))
        .filter(p -> category == null || category.equalsIgnoreCase(p.getString("category")))
        .sorted(java.util.Comparator.comparing(p -> p.getString("name")))
        .forEach(p -> out.add(p.copy()));
    return out;
  }

  public JsonArray languages() {
    return new JsonArray(List.copyOf(new TreeSet<>(byId.values().stream().map(p -> p.getString("language")).toList())));
  }

  /** The categories (of one language, or of all). */
  public JsonArray categories(String language) {
    return new JsonArray(List.copyOf(new TreeSet<>(byId.values().stream()
        .filter(p -> language == null || language.equalsIgnoreCase(p.getString("language")))
        .map(p -> p.getString("category")).toList())));
  }
}
