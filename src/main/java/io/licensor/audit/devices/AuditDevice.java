package io.licensor.audit.devices;

import io.licensor.audit.AuditRecord;
import io.vertx.core.Future;

import java.util.List;

/**
 * A copy of the audit stream outside the database (Vault's audit devices): records arrive once
 * their batch has committed, in the order written. PostgreSQL stays the record that counts
 * (licensing waits for it); a device never slows or fails a request, and says what it could not
 * copy in the node's log and in {@code licensor_audit_device_dropped_total}.
 */
public interface AuditDevice {

  /** The device's name in logs and metrics: file, syslog. */
  String name();

  /** Takes a committed batch; called on the audit writer's event loop, so it must not block. */
  void written(List<AuditRecord> records);

  /** Records it could not copy since the start. */
  long dropped();

  /** Copies what it holds, then lets go of its file or connection. */
  Future<Void> close();
}
