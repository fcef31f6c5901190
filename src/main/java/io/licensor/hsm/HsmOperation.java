package io.licensor.hsm;

/** One unit of HSM work, sent to an {@link HsmWorker} over the local event bus. */
@FunctionalInterface
interface HsmOperation {
  Object run(Hsm hsm);

  /**
   * An operation that takes its result from the session itself, on the session's thread, instead
   * of as an event-bus reply: {@code done} gets what a reply would have carried (the result,
   * {@link HsmClient#DONE} for none, or the {@link HsmException}).
   */
  interface Reporting extends HsmOperation {
    void done(Object reply);
  }
}
