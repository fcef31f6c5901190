package io.licensor.tenants;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/** Directory leases and the directory epoch in PostgreSQL (see {@link DirectoryLease}); all their SQL. */
public final class LeaseStore {

  static final String EPOCH = "SELECT epoch FROM directory_epoch";

  static final String CHANGED_SINCE =
      "SELECT id FROM tenants WHERE change_epoch > $1 AND change_epoch <= $2 ORDER BY change_epoch LIMIT $3";

  static final String RENEW = "INSERT INTO node_leases (lease_id, node_name, member_id, renewed_at, lease_millis, epoch_seen)"
      + " VALUES ($1, $2, $3, now(), $4, $5) ON CONFLICT (lease_id) DO UPDATE SET member_id = EXCLUDED.member_id,"
      + " renewed_at = now(), lease_millis = EXCLUDED.lease_millis,"
      + " epoch_seen = greatest(node_leases.epoch_seen, EXCLUDED.epoch_seen)";

  static final String RELEASE = "DELETE FROM node_leases WHERE lease_id = $1";

  /**
   * Leases live now or lapsed within the last minute, with how long each has left (by this
   * database's clock; zero or less: lapsed), and the epoch each has applied.
   */
  static final String RECENT = "SELECT lease_id, node_name, member_id, epoch_seen,"
      + " (extract(epoch FROM renewed_at + lease_millis * interval '1 millisecond' - now()) * 1000)::bigint AS left_millis"
      + " FROM node_leases WHERE renewed_at + lease_millis * interval '1 millisecond' > now() - interval '1 minute'";

  /** Leases lapsed for an hour are of nodes long gone. */
  static final String PURGE = "DELETE FROM node_leases WHERE renewed_at + lease_millis * interval '1 millisecond' < now() - interval '1 hour'";

  /** A lease: its node, what it had applied when it last renewed, and how long it has left. */
  public record Lease(String leaseId, String nodeName, String memberId, long epochSeen, long leftMillis) {
    public boolean live() {
      return leftMillis > 0;
    }
  }

  private final Pool pool;

  public LeaseStore(Pool pool) {
    this.pool = pool;
  }

  Future<Long> epoch() {
    return pool.query(EPOCH).execute().map(rows -> rows.iterator().next().getLong("epoch"));
  }

  /** Tenants changed after epoch {@code from}, up to {@code to}; at most {@code limit}. */
  Future<List<String>> changedSince(long from, long to, int limit) {
    return pool.preparedQuery(CHANGED_SINCE).execute(Tuple.of(from, to, limit)).map(rows -> {
      List<String> ids = new ArrayList<>();
      rows.forEach(r -> ids.add(r.getString("id")));
      return ids;
    });
  }

  Future<Void> renew(String leaseId, String nodeName, String memberId, long leaseMillis, long epochSeen) {
    return pool.preparedQuery(RENEW).execute(Tuple.of(leaseId, nodeName, memberId, (int) leaseMillis, epochSeen)).mapEmpty();
  }

  Future<Void> release(String leaseId) {
    return pool.preparedQuery(RELEASE).execute(Tuple.of(leaseId)).mapEmpty();
  }

  Future<Void> purge() {
    return pool.query(PURGE).execute().mapEmpty();
  }

  /** The leases live now, and those lapsed within the last minute. */
  public Future<List<Lease>> recent() {
    return pool.query(RECENT).execute().map(rows -> {
      List<Lease> leases = new ArrayList<>();
      for (Row r : rows) {
        leases.add(new Lease(r.getString("lease_id"), r.getString("node_name"), r.getString("member_id"),
            r.getLong("epoch_seen"), r.getLong("left_millis")));
      }
      return leases;
    });
  }
}
