package io.licensor.licensing;

import io.licensor.errors.ProblemException;
import io.licensor.json.StrictJson;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * The plaintext inside a publishing license: which content, who published it, its content key,
 * and its policy. The content key is zeroed by {@link #destroy()} once a license is built.
 */
public record PublishingLicenseContent(String contentId, String publisher, long issuedAt, byte[] contentKey,
                                       Policy policy) {

  static final int CONTENT_KEY_BYTES = 32;
  static final int MAX_CONTENT_ID = 256;

  public JsonObject toJson() {
    return new JsonObject()
        .put("contentId", contentId)
        .put("publisher", publisher)
        .put("issuedAt", issuedAt)
        .put("contentKey", Base64.getUrlEncoder().withoutPadding().encodeToString(contentKey))
        .put("policy", policy.toJson());
  }

  /** Parses a decrypted payload; any defect is an {@link IllegalArgumentException}. */
  static PublishingLicenseContent fromJson(byte[] plaintext) {
    JsonObject json;
    try {
      // as strict as a request body: a payload with "grants" twice means one thing here and another elsewhere
      StrictJson.check(plaintext);
    } catch (ProblemException e) {
      throw new IllegalArgumentException("the payload is not strict JSON: " + e.getMessage());
    }
    try {
      json = new JsonObject(new String(plaintext, StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("the payload is not a JSON object");
    }
    String contentId = contentId(json.getValue("contentId"));
    Object publisher = json.getValue("publisher");
    if (!(publisher instanceof String pub) || pub.isBlank()) {
      throw new IllegalArgumentException("publisher is missing");
    }
    Object issuedAt = json.getValue("issuedAt");
    if (!(issuedAt instanceof Number n)) {
      throw new IllegalArgumentException("issuedAt is missing");
    }
    return new PublishingLicenseContent(contentId, pub, n.longValue(), contentKey(json.getValue("contentKey")),
        Policy.fromJson(json.getValue("policy")));
  }

  static String contentId(Object value) {
    if (!(value instanceof String id) || id.isBlank() || id.length() > MAX_CONTENT_ID) {
      throw new IllegalArgumentException("contentId must be a non-empty string of at most " + MAX_CONTENT_ID + " characters");
    }
    return id;
  }

  static byte[] contentKey(Object value) {
    if (!(value instanceof String text)) {
      throw new IllegalArgumentException("contentKey must be base64url of " + CONTENT_KEY_BYTES + " bytes");
    }
    byte[] key;
    try {
      key = Base64.getUrlDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("contentKey must be base64url of " + CONTENT_KEY_BYTES + " bytes");
    }
    if (key.length != CONTENT_KEY_BYTES) {
      Arrays.fill(key, (byte) 0);
      throw new IllegalArgumentException("contentKey must be base64url of " + CONTENT_KEY_BYTES + " bytes");
    }
    return key;
  }

  void destroy() {
    Arrays.fill(contentKey, (byte) 0);
  }

  @Override
  public String toString() {
    return "PublishingLicenseContent[" + contentId + "]";
  }
}
