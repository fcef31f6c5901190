package io.licensor.client;

import com.nimbusds.jose.util.JSONObjectUtils;

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
import java.text.ParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.CipherOutputStream;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * licensor's protected container (docs/formats.md, "Protected file"): the line
 * {@code licensor-protected/1}, a 4-byte big-endian length, a JSON header (tenant, contentId, kid,
 * publishingLicense, iv, name), then the content under AES-256-GCM with the content key, with every
 * byte before it as associated data: a changed header fails like a changed byte of content. The
 * content key is only inside the publishing license, wrapped under the tenant's key.
 */
public final class ProtectedContainer {

  public static final String FORMAT = "licensor-protected/1";
  static final byte[] MAGIC = (FORMAT + "\n").getBytes(StandardCharsets.US_ASCII);
  /** The largest header read (a publishing license with a long policy fits well within it). */
  public static final int MAX_HEADER = 256 * 1024;
  /** The largest content protected or opened (opening holds it in memory until its tag is checked). */
  public static final long MAX_CONTENT_BYTES = 512L * 1024 * 1024;
  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final Map<String, Object> header;
  private final byte[] prefix;
  private final byte[] ciphertext;

  private ProtectedContainer(Map<String, Object> header, byte[] prefix, byte[] ciphertext) {
    this.header = header;
    this.prefix = prefix;
    this.ciphertext = ciphertext;
  }

  public String tenant() {
    return (String) header.get("tenant");
  }

  public String contentId() {
    return (String) header.get("contentId");
  }

  /** The key version the publishing license names (informative: the license is what counts). */
  public String kid() {
    return header.get("kid") instanceof String s ? s : null;
  }

  public String publishingLicense() {
    return (String) header.get("publishingLicense");
  }

  /** The original file name, if the publisher gave one. */
  public String name() {
    return header.get("name") instanceof String s ? s : null;
  }

  /**
   * Writes a container: the header for this publishing license, then {@code content} encrypted as it
   * is read (the whole input is never held in memory).
   */
  static long write(OutputStream out, PublishingLicense license, String name, byte[] contentKey, InputStream content,
      SecureRandom random) throws IOException {
    byte[] iv = new byte[IV_BYTES];
    random.nextBytes(iv);
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("format", FORMAT);
    header.put("tenant", license.tenant());
    header.put("contentId", license.contentId());
    header.put("kid", license.kid());
    header.put("publishingLicense", license.compact());
    header.put("iv", Base64.getUrlEncoder().withoutPadding().encodeToString(iv));
    if (name != null) {
      header.put("name", name);
    }
    byte[] prefix = prefix(JSONObjectUtils.toJSONString(header).getBytes(StandardCharsets.UTF_8));
    Cipher gcm;
    try {
      gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(contentKey, "AES"), new GCMParameterSpec(TAG_BITS, iv));
      gcm.updateAAD(prefix);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable: " + e.getMessage(), e);
    }
    out.write(prefix);
    long total = 0;
    CipherOutputStream encrypted = new CipherOutputStream(new NonClosing(out), gcm);
    byte[] buffer = new byte[64 * 1024];
    for (int n; (n = content.read(buffer)) > 0; ) {
      total += n;
      if (total > MAX_CONTENT_BYTES) {
        throw new IllegalArgumentException("the content is larger than " + (MAX_CONTENT_BYTES >> 20) + " MiB");
      }
      encrypted.write(buffer, 0, n);
    }
    encrypted.close(); // writes the tag; the caller's stream stays open
    return total;
  }

  /** Reads a container's header and ciphertext; input that is not one fails with a {@link LicensorException.ContentException}. */
  public static ProtectedContainer read(InputStream in) throws IOException {
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
    Map<String, Object> header;
    try {
      header = JSONObjectUtils.parse(new String(headerBytes, StandardCharsets.UTF_8));
    } catch (ParseException | RuntimeException e) {
      throw notProtected();
    }
    for (String member : new String[] {"tenant", "contentId", "publishingLicense", "iv"}) {
      if (!(header.get(member) instanceof String)) {
        throw notProtected();
      }
    }
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    for (int n; (n = data.read(buffer)) > 0; ) {
      total += n;
      if (total > MAX_CONTENT_BYTES + 16) {
        throw new LicensorException.ContentException("the protected content is larger than any this library makes", false);
      }
      rest.write(buffer, 0, n);
    }
    return new ProtectedContainer(header, prefix(headerBytes), rest.toByteArray());
  }

  /** The content, if the key is right and nothing (header or content) was changed. */
  byte[] decrypt(byte[] contentKey) {
    try {
      byte[] iv = Base64.getUrlDecoder().decode((String) header.get("iv"));
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
      throw new IllegalStateException("AES-GCM is unavailable: " + e.getMessage(), e);
    }
  }

  private static byte[] prefix(byte[] headerJson) {
    return ByteBuffer.allocate(MAGIC.length + 4 + headerJson.length).put(MAGIC).putInt(headerJson.length).put(headerJson)
        .array();
  }

  private static LicensorException.ContentException notProtected() {
    return new LicensorException.ContentException("not a licensor-protected file (licensor protect makes them)", false);
  }

  private static LicensorException.ContentException tampered() {
    return new LicensorException.ContentException("the protected file was changed or damaged: its content does not "
        + "decrypt with the licensed key, so nothing was written", true);
  }

  /** Lets CipherOutputStream.close() write the tag without closing the caller's stream. */
  private static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
