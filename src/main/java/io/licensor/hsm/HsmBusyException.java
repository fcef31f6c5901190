package io.licensor.hsm;

/** The node's HSM cannot take the operation now; the caller should come back after {@link #retryAfterSeconds()}. */
public final class HsmBusyException extends RuntimeException {

  private final int retryAfterSeconds;

  public HsmBusyException(int retryAfterSeconds) {
    this("the HSM queue of this node is full", retryAfterSeconds);
  }

  /** {@code why}: what is busy (the queue, key generation, exports, or an operation that waited too long). */
  public HsmBusyException(String why, int retryAfterSeconds) {
    super(why, null, false, false);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
