package io.licensor.lifecycle;

import io.licensor.cluster.Propagation;

/** The result of a lifecycle change, and how far across the cluster it was confirmed when the call returned. */
public record Changed<T>(T value, Propagation propagation) {
}
