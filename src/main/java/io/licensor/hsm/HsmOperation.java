package io.licensor.hsm;

/** One unit of HSM work, sent to an {@link HsmWorker} over the local event bus. */
@FunctionalInterface
interface HsmOperation {
  Object run(Hsm hsm);
}
