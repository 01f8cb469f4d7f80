package io.chatserver.services;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/** Encrypts secrets at rest with AES-256-GCM (JCA); the stored form is base64(nonce || ciphertext+tag). */
public final class SecretBox {

  private static final int NONCE = 12;
  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  public SecretBox(String secret) {
    try {
      byte[] k = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
      this.key = new SecretKeySpec(k, "AES");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A public name of this key (its hash, not reversible): the same for every node that shares the
   * key, i.e. for one deployment; its /v1 answers carry it, so a service pointing back at it is seen.
   */
  public String fingerprint() {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(("chat-server instance:" + java.util.HexFormat.of()
          .formatHex(key.getEncoded())).getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(h, 0, 12);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public String seal(String plain) {
    try {
      byte[] nonce = new byte[NONCE];
      random.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      byte[] ct = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
      byte[] out = Arrays.copyOf(nonce, NONCE + ct.length);
      System.arraycopy(ct, 0, out, NONCE, ct.length);
      return Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt", e);
    }
  }

  /** The secret, or an exception when it was sealed with another key (the key file changed). */
  public String open(String sealed) {
    try {
      byte[] in = Base64.getDecoder().decode(sealed);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, in, 0, NONCE));
      return new String(c.doFinal(in, NONCE, in.length - NONCE), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("a stored API key cannot be decrypted (was the services key changed?)", e);
    }
  }
}
