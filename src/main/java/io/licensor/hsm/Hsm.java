package io.licensor.hsm;

import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;

/**
 * A hardware security module as licensor uses it. Private keys exist in the clear only inside
 * an implementation; everything that crosses this interface is public data, key tokens, or the
 * results of private-key operations. Implementations are called only from HSM worker threads
 * (see {@link HsmWorker}), one operation per session at a time.
 */
public interface Hsm extends AutoCloseable {

  /** The security world whose key wraps this module's key tokens. */
  String worldId();

  /** Generates a key version inside the module and returns its public key and key token. */
  GeneratedKey generate(KeyAlgorithm algorithm);

  /**
   * Imports a private key (PKCS#8 DER) into the module, as the BYOK path does after unwrapping a
   * transfer file: checks that it is a working key pair of the given algorithm, and returns its
   * public key and a key token marked non-extractable. The caller zeroes {@code pkcs8}.
   */
  GeneratedKey importPrivateKey(KeyAlgorithm algorithm, byte[] pkcs8);

  /**
   * An extractable key's PKCS#8 encoding, for its export: the caller encrypts it under the tenant
   * admin's password ({@link ExportEncryption}, off the HSM session: PBKDF2 costs far more than the
   * HSM's part) and zeroes it. Keys imported through {@link #importPrivateKey} are never
   * extractable: {@link HsmException} with reason NOT_EXTRACTABLE.
   */
  byte[] exportPkcs8(KeyRef key);

  /** Generates an RSA-4096 key-exchange key (KEK), usable only by {@link #importTransfer}. */
  GeneratedKey generateKek();

  /**
   * Imports a BYOK transfer: {@code ciphertext} is RSA-OAEP (SHA-1 or SHA-256, per {@code oaepHash})
   * of an AES-256 key under the KEK, followed by AES-KWP (RFC 5649) of the tenant key's PKCS#8
   * under that AES key: PKCS#11's CKM_RSA_AES_KEY_WRAP. The key is checked as
   * {@link #importPrivateKey} does and kept only as a non-extractable key token.
   */
  GeneratedKey importTransfer(KeyRef kek, byte[] ciphertext, String oaepHash, KeyAlgorithm algorithm);

  /**
   * A key token in today's custody: the same token for an exportable key, or one already wrapped
   * under the custody key; else (a BYOK key or KEK of an earlier version, wrapped under the world
   * key itself) the key re-wrapped under the custody key, inside the module, into a new token of
   * the same key. See {@link KeyTokenLayout}.
   */
  KeyToken custody(KeyRef key);

  /** Loads (unwraps) a key token and checks it; returns the public key it belongs to. */
  PublicKey load(KeyRef key);

  /** RSA-OAEP with SHA-256 and MGF1-SHA-256 (JOSE {@code RSA-OAEP-256}) decryption. */
  byte[] decryptOaepSha256(KeyRef key, byte[] ciphertext);

  /** ECDH key agreement with the peer's public key: the raw shared secret Z. */
  byte[] agree(KeyRef key, ECPublicKey peer);

  /** Signs the JWS signing input with the key's JWS algorithm; returns the JOSE-format signature. */
  byte[] sign(KeyRef key, byte[] signingInput);

  /**
   * Generates a delegated use-license signing key (EC P-256) inside the module. Its private half
   * is never in a key token and never leaves the module (non-extractable, a session object on a
   * PKCS#11 token); it lives until {@link #destroySigningKey} or until the module closes or loses
   * its sessions.
   */
  SigningKeyHandle generateSigningKey();

  /**
   * ES256 (JOSE format, r || s) with a delegated signing key; {@link HsmException} with reason
   * KEY_UNAVAILABLE if the module no longer holds it.
   */
  byte[] signWithSigningKey(String handle, byte[] signingInput);

  /** Destroys a delegated signing key; nothing if the module does not hold it. */
  void destroySigningKey(String handle);

  /**
   * HMAC-SHA256 under a key derived from the world key (for backup packages): only a module that
   * holds the world can make or check it.
   */
  byte[] worldMac(byte[] data);

  /** Drops any loaded copy of the key (used when a key version is destroyed). */
  void forget(String kid);

  @Override
  void close();
}
