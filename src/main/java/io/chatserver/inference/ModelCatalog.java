package io.chatserver.inference;

import io.chatserver.inference.engine.ModelRuntime;
import io.chatserver.inference.model.Llama2cImporter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Which models this node serves: the entries of {@code models.list}, plus every Hugging Face
 * folder (one holding config.json) and every GGUF file (served under its name without .gguf)
 * under {@code models.dir}. On first start the shared
 * stories260K llama2.c weights, when present, are imported into {@code models.dir} so a fresh
 * checkout can chat at once.
 */
public final class ModelCatalog {

  private static final Logger log = LoggerFactory.getLogger(ModelCatalog.class);

  private ModelCatalog() {}

  public static Path modelsDir(JsonObject conf) {
    JsonObject m = conf.getJsonObject("models", new JsonObject());
    String dir = m.getString("dir");
    return (dir != null ? Path.of(dir) : Path.of(conf.getString("dataDir", "./data"), "models")).toAbsolutePath().normalize();
  }

  /** The specs to load, in order; imports the shared model first when that is enabled. */
  public static List<ModelRuntime.Spec> specs(JsonObject conf) {
    JsonObject m = conf.getJsonObject("models", new JsonObject());
    JsonObject defaults = m.getJsonObject("defaults", new JsonObject());
    Path dir = modelsDir(conf);
    if (m.getBoolean("autoImport", true)) {
      autoImport(Path.of(m.getString("shared", "../shared/models")), dir);
    }
    Map<String, ModelRuntime.Spec> specs = new LinkedHashMap<>();
    JsonArray list = m.getJsonArray("list", new JsonArray());
    for (Object o : list) {
      ModelRuntime.Spec s = ModelRuntime.Spec.fromJson(defaults.copy().mergeIn((JsonObject) o), dir);
      specs.put(s.name(), s);
    }
    if (Files.isDirectory(dir)) {
      try (Stream<Path> children = Files.list(dir)) {
        for (Path p : children.sorted().toList()) {
          String name = p.getFileName().toString();
          boolean gguf = name.toLowerCase().endsWith(".gguf") && Files.isRegularFile(p);
          if (gguf) {
            name = name.substring(0, name.length() - ".gguf".length()); // a GGUF file is served under its name
          }
          if (!name.startsWith(".") && (gguf || Files.isRegularFile(p.resolve("config.json"))) && !specs.containsKey(name)) {
            JsonObject entry = defaults.copy().put("name", name).put("path", p.toString());
            specs.put(name, ModelRuntime.Spec.fromJson(entry, dir));
          }
        }
      } catch (IOException e) {
        log.warn("Cannot list the models directory {}: {}", dir, e.toString());
      }
    }
    return new ArrayList<>(specs.values());
  }

  private static void autoImport(Path shared, Path dir) {
    Path bin = shared.resolve("stories260K/stories260K.bin");
    Path tok = shared.resolve("stories260K/tok512.bin");
    Path out = dir.resolve("stories260k");
    if (!Files.isRegularFile(bin) || !Files.isRegularFile(tok) || Files.isRegularFile(out.resolve("config.json"))) {
      return;
    }
    try {
      log.info("Importing the llama2.c model {} into {}", bin, out);
      Files.createDirectories(dir);
      Path tmp = Files.createTempDirectory(dir, ".import-");
      Llama2cImporter.convert(bin, tok, tmp);
      Files.move(tmp, out);
    } catch (IOException e) {
      log.error("Could not import {}: {}", bin, e.toString());
    }
  }

}
