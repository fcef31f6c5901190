package io.licensor.byok;

import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.vertx.core.json.JsonObject;

import java.util.Base64;

/**
 * A BYOK transfer file, the shape of Azure Key Vault's {@code .byok}:
 * {@code {"schema_version":"1.0.0","header":{"kid":KEK,"alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP",
 * "oaep_hash"?:"SHA-256"},"ciphertext":base64url,"generator":...}}.
 */
public record TransferFile(String kekKid, String oaepHash, byte[] ciphertext, String generator) {

  public static final String ENC = "CKM_RSA_AES_KEY_WRAP";
  static final int MAX_CIPHERTEXT = 16 * 1024;

  public static TransferFile parse(Object value) {
    if (!(value instanceof JsonObject file)) {
      throw invalid("byok must be a transfer file object {schema_version, header, ciphertext}");
    }
    if (!"1.0.0".equals(file.getValue("schema_version"))) {
      throw invalid("byok.schema_version must be 1.0.0");
    }
    if (!(file.getValue("header") instanceof JsonObject header)) {
      throw invalid("byok.header is required");
    }
    if (!(header.getValue("kid") instanceof String kid) || kid.isBlank() || kid.length() > 200
        || kid.chars().anyMatch(Character::isISOControl)) {
      throw invalid("byok.header.kid must name the key-exchange key");
    }
    if (!"dir".equals(header.getValue("alg")) || !ENC.equals(header.getValue("enc"))) {
      throw invalid("byok.header must have alg dir and enc " + ENC);
    }
    Object hash = header.getValue("oaep_hash", "SHA-1");
    if (!"SHA-1".equals(hash) && !"SHA-256".equals(hash)) {
      throw invalid("byok.header.oaep_hash must be SHA-1 (the default) or SHA-256");
    }
    if (!(file.getValue("ciphertext") instanceof String text) || text.isEmpty() || text.length() > MAX_CIPHERTEXT) {
      throw invalid("byok.ciphertext must be base64url");
    }
    byte[] ciphertext;
    try {
      ciphertext = Base64.getUrlDecoder().decode(text.replace('+', '-').replace('/', '_').replace("=", ""));
    } catch (IllegalArgumentException e) {
      throw invalid("byok.ciphertext must be base64url");
    }
    Object generator = file.getValue("generator");
    return new TransferFile(kid, (String) hash, ciphertext, generator instanceof String g ? g : null);
  }

  public JsonObject toJson() {
    JsonObject header = new JsonObject().put("kid", kekKid).put("alg", "dir").put("enc", ENC);
    if (!"SHA-1".equals(oaepHash)) {
      header.put("oaep_hash", oaepHash);
    }
    return new JsonObject()
        .put("schema_version", "1.0.0")
        .put("header", header)
        .put("ciphertext", Base64.getUrlEncoder().withoutPadding().encodeToString(ciphertext))
        .put("generator", generator);
  }

  private static ProblemException invalid(String detail) {
    return Problem.INVALID_REQUEST.with(detail);
  }
}
