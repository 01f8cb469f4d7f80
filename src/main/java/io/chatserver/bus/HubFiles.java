package io.chatserver.bus;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a model pull ({@link Addresses#MODELS_MANAGE} {@code op: "pull"}) may name: a Hugging Face
 * repository, and for a GGUF model one file in it, given as a path or as its URL on the hub. Both
 * sides check with these rules: the API before it publishes, the worker before it downloads.
 */
public final class HubFiles {

  /** A GGUF file of a hub repository: {@code repo}, {@code revision} and the file's path in it. */
  public record HubFile(String repo, String revision, String file) {}

  private static final Pattern URL = Pattern.compile(
      "^https?://[^/]+/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/(?:resolve|blob)/([A-Za-z0-9_.-]+)/([A-Za-z0-9_./-]+?)(?:\\?.*)?$");
  private static final Pattern FILE = Pattern.compile("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\\.gguf$");
  private static final Pattern REPO = Pattern.compile("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$");

  private HubFiles() {}

  public static boolean isRepo(String repo) {
    return repo != null && REPO.matcher(repo).matches();
  }

  /**
   * The repository, revision and file of a hub file URL ({@code https://huggingface.co/org/name/resolve/main/x.gguf},
   * or its /blob/ page). Only the path is used: the download goes to the configured hub, never to the URL's host.
   */
  public static HubFile parseUrl(String url) {
    Matcher m = URL.matcher(url);
    if (!m.matches() || !isGgufPath(m.group(3))) {
      throw new IllegalArgumentException("a file URL must look like https://huggingface.co/org/name/resolve/main/file.gguf");
    }
    return new HubFile(m.group(1), m.group(2), m.group(3));
  }

  /** Whether {@code file} is a path a GGUF file may have in a repository (plain names, no "..", ends with .gguf). */
  public static boolean isGgufPath(String file) {
    return file != null && FILE.matcher(file).matches() && !file.contains("..");
  }
}
