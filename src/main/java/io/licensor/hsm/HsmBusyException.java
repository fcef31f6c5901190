package io.licensor.hsm;

/** The node's HSM queue is full; the caller should come back after {@link #retryAfterSeconds()}. */
public final class HsmBusyException extends RuntimeException {

  private final int retryAfterSeconds;

  public HsmBusyException(int retryAfterSeconds) {
    super("HSM queue is full", null, false, false);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
