package io.licensor.hsm;

/**
 * An HSM operation failed. The message is fixed per reason and never carries key material or
 * the underlying library's text, so callers may log it.
 */
public final class HsmException extends RuntimeException {

  public enum Reason {
    /** The input did not decrypt or was not a valid value for the key (tampered data). */
    BAD_INPUT,
    /** The key token is of another world, corrupt, or the key is not usable for this operation. */
    KEY_UNAVAILABLE,
    /** A BYOK transfer did not unwrap (wrong KEK, wrong OAEP hash, corrupt ciphertext). */
    TRANSFER_UNWRAP_FAILED,
    /** The transferred or imported bytes are not a private key. */
    NOT_A_PRIVATE_KEY,
    /** The key is of another algorithm or size than allowed or announced. */
    KEY_NOT_ALLOWED,
    /** The key may not leave the module (an imported, BYOK key). */
    NOT_EXTRACTABLE,
    /** The HSM cannot be opened as configured (library, slot, PIN): the message names the setting. */
    MISCONFIGURED,
    /** Anything else; details go to the server log only. */
    INTERNAL
  }

  private final Reason reason;

  public HsmException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public HsmException(Reason reason, String message, Throwable cause) {
    super(message, cause, false, true);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
