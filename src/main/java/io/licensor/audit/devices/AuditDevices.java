package io.licensor.audit.devices;

import io.licensor.audit.AuditRecord;
import io.vertx.core.Future;

import java.util.List;

/** The audit devices a node copies its audit stream to (none by default). */
public final class AuditDevices {

  private final List<AuditDevice> devices;

  public AuditDevices(List<AuditDevice> devices) {
    this.devices = List.copyOf(devices);
  }

  public List<AuditDevice> devices() {
    return devices;
  }

  /** Hands a committed batch to every device (none of which blocks). */
  public void written(List<AuditRecord> records) {
    for (AuditDevice d : devices) {
      d.written(records);
    }
  }

  /** Closes every device, once each has what it was given. */
  public Future<Void> close() {
    return Future.join(devices.stream().map(AuditDevice::close).toList()).<Void>mapEmpty().otherwiseEmpty();
  }
}
