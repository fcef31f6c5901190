package io.licensor.cli;

import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A file protected by {@code licensor protect} (docs/formats.md): the line {@code licensor-protected/1},
 * a 4-byte big-endian length, a JSON header (tenant, contentId, kid, publishingLicense, iv, name),
 * then the content encrypted with AES-256-GCM under the content key, with everything before it as
 * associated data (a changed header fails to decrypt like a changed byte of content). The content
 * key itself is only inside the publishing license, wrapped under the tenant's key.
 */
public record ProtectedFile(JsonObject header, byte[] prefix, byte[] ciphertext) {

  static final byte[] MAGIC = "licensor-protected/1\n".getBytes(StandardCharsets.US_ASCII);
  static final int MAX_HEADER = 256 * 1024;
  static final int IV_BYTES = 12;
  static final int TAG_BITS = 128;

  public String tenant() {
    return header.getString("tenant");
  }

  public String contentId() {
    return header.getString("contentId");
  }

  public String publishingLicense() {
    return header.getString("publishingLicense");
  }

  /** Encrypts {@code content} and writes the protected file to {@code out}. */
  static void write(OutputStream out, JsonObject header, byte[] contentKey, byte[] content) throws IOException {
    byte[] iv = Base64.getUrlDecoder().decode(header.getString("iv"));
    byte[] prefix = prefix(header.encode().getBytes(StandardCharsets.UTF_8));
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(contentKey, "AES"), new GCMParameterSpec(TAG_BITS, iv));
      gcm.updateAAD(prefix);
      out.write(prefix);
      out.write(gcm.doFinal(content));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable: " + e.getMessage(), e);
    }
  }

  static byte[] freshIv(SecureRandom random) {
    byte[] iv = new byte[IV_BYTES];
    random.nextBytes(iv);
    return iv;
  }

  /** Reads a protected file's header and ciphertext; a file that is not one fails with a clear message. */
  static ProtectedFile read(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] headerBytes;
    try {
      byte[] magic = new byte[MAGIC.length];
      data.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw notProtected();
      }
      int length = data.readInt();
      if (length <= 0 || length > MAX_HEADER) {
        throw notProtected();
      }
      headerBytes = new byte[length];
      data.readFully(headerBytes);
    } catch (EOFException e) {
      throw notProtected();
    }
    JsonObject header;
    try {
      header = new JsonObject(new String(headerBytes, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw notProtected();
    }
    for (String member : new String[] {"tenant", "contentId", "publishingLicense", "iv"}) {
      if (!(header.getValue(member) instanceof String)) {
        throw notProtected();
      }
    }
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    data.transferTo(rest);
    return new ProtectedFile(header, prefix(headerBytes), rest.toByteArray());
  }

  /** The content, if the key is right and nothing (header or content) was changed; else a clear failure. */
  byte[] decrypt(byte[] contentKey) {
    try {
      byte[] iv = Base64.getUrlDecoder().decode(header.getString("iv"));
      if (iv.length != IV_BYTES) {
        throw tampered();
      }
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(contentKey, "AES"), new GCMParameterSpec(TAG_BITS, iv));
      gcm.updateAAD(prefix);
      return gcm.doFinal(ciphertext);
    } catch (AEADBadTagException | IllegalArgumentException e) {
      throw tampered();
    } catch (GeneralSecurityException e) {
      throw new CliException(CliException.REFUSED, "cannot decrypt: " + e.getMessage());
    }
  }

  /** Everything before the ciphertext (the GCM associated data): magic, header length, header. */
  private static byte[] prefix(byte[] headerJson) {
    return ByteBuffer.allocate(MAGIC.length + 4 + headerJson.length).put(MAGIC).putInt(headerJson.length).put(headerJson)
        .array();
  }

  private static CliException notProtected() {
    return new CliException(CliException.USAGE, "not a licensor-protected file (licensor protect makes them)");
  }

  private static CliException tampered() {
    return new CliException(CliException.REFUSED, "the protected file was changed or damaged: its content does not "
        + "decrypt with the licensed key, so nothing was written");
  }
}
