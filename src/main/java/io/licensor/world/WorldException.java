package io.licensor.world;

/** A security-world operation failed; the message says why and holds no secret. */
public final class WorldException extends RuntimeException {
  public WorldException(String message) {
    super(message, null, false, false);
  }
}
