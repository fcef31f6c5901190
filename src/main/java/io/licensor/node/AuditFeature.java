package io.licensor.node;

import io.licensor.audit.AuditChain;
import io.licensor.audit.AuditLog;
import io.licensor.audit.AuditTrail;
import io.licensor.audit.devices.AuditDevice;
import io.licensor.audit.devices.AuditDevices;
import io.licensor.audit.devices.FileAuditDevice;
import io.licensor.audit.devices.Rfc5424;
import io.licensor.audit.devices.SyslogAuditDevice;
import io.licensor.config.ConfigException;
import io.licensor.config.ConfigLoader;
import io.licensor.config.LicensorConfig;
import io.licensor.db.Database;
import io.licensor.hsm.HsmClient;
import io.licensor.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The audit trail: its chain key, derived from the world in the HSM (so only this world's nodes
 * can extend or verify the chains), its writer started, and chains begun before keyed chains
 * existed marked; and the audit devices (a file, a syslog collector) that copy its stream.
 */
record AuditFeature(AuditLog log, AuditTrail trail, AuditDevices devices) {

  static Future<AuditFeature> start(Vertx vertx, Database db, HsmClient hsm, LicensorConfig config, Metrics metrics) {
    return hsm.worldMac(AuditChain.KEY_LABEL).compose(key -> {
      AuditChain chain;
      try {
        chain = new AuditChain(key);
      } finally {
        Arrays.fill(key, (byte) 0);
      }
      AuditDevices devices;
      try {
        devices = devices(vertx, config, metrics);
      } catch (IOException e) {
        return Future.failedFuture(new ConfigException(e.getMessage()));
      }
      AuditLog audit = new AuditLog(vertx, db.pool(), chain, config.nodeId(),
          config.auditQueueCapacity(), config.auditBatchSize(), config.auditKeyUse(), config.auditKeyUseDurable(),
          config.auditDurableTimeoutMs());
      audit.start(config.auditFlushMillis());
      audit.onBatch(metrics::auditBatch);
      audit.onRecords(devices::written);
      metrics.gauge("licensor.audit.backlog", "Audit records queued, not yet written", audit::backlog);
      return audit.markChainsKeyed().map(new AuditFeature(audit, new AuditTrail(vertx, db.auditReads(), chain), devices));
    });
  }

  /** The devices the configuration names, each with its count of records not copied. */
  static AuditDevices devices(Vertx vertx, LicensorConfig config, Metrics metrics) throws IOException {
    List<AuditDevice> devices = new ArrayList<>();
    if (config.auditFilePath() != null) {
      devices.add(FileAuditDevice.open(Path.of(config.auditFilePath())));
    }
    if (config.auditSyslogAddress() != null) {
      String[] hostPort = ConfigLoader.syslogAddress(config.auditSyslogAddress());
      Rfc5424 format = new Rfc5424(Rfc5424.facility(config.auditSyslogFacility()), config.nodeId(),
          ProcessHandle.current().pid(), config.auditSyslogSdId());
      devices.add(new SyslogAuditDevice(vertx, hostPort[0], Integer.parseInt(hostPort[1]), config.auditSyslogTls(),
          config.auditSyslogCaFile(), format, config.auditSyslogQueueCapacity()));
    }
    for (AuditDevice d : devices) {
      metrics.counter("licensor.audit.device.dropped", "Audit records an audit device could not copy (the database has them)",
          "device", d.name(), d::dropped);
    }
    return new AuditDevices(devices);
  }
}
