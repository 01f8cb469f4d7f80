package io.chatserver.auth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/** Secrets that must survive restarts: taken from config, else generated once and kept in the data directory. */
public final class SecretStore {

  private static final Logger log = LoggerFactory.getLogger(SecretStore.class);

  private SecretStore() {}

  public static String jwtSecret(String configured, Path dataDir) {
    if (configured != null && !configured.isBlank()) {
      if (configured.getBytes(StandardCharsets.UTF_8).length < 32) {
        throw new IllegalArgumentException("JWT_SECRET must be at least 32 bytes long");
      }
      return configured;
    }
    return generated(dataDir.resolve("jwt-secret"), "JWT signing secret");
  }

  /** The key that encrypts upstream services' API keys at rest: from config, else generated once beside the JWT secret. */
  public static String servicesKey(String configured, Path dataDir) {
    if (configured != null && !configured.isBlank()) {
      if (configured.getBytes(StandardCharsets.UTF_8).length < 32) {
        throw new IllegalArgumentException("SERVICES_KEY must be at least 32 bytes long");
      }
      return configured;
    }
    return generated(dataDir.resolve("services-key"), "key for upstream services' API keys");
  }

  private static String generated(Path file, String what) {
    try {
      if (Files.isRegularFile(file)) {
        String s = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (!s.isEmpty()) {
          return s;
        }
      }
      byte[] bytes = new byte[48];
      new SecureRandom().nextBytes(bytes);
      String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      Files.createDirectories(file.getParent());
      Files.writeString(file, secret, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException ignored) {
        // not a POSIX file system
      }
      log.info("Generated a {} in {}", what, file);
      return secret;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + file, e);
    }
  }
}
