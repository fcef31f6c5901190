package io.licensor.tenants;

import com.nimbusds.jose.jwk.JWK;
import io.licensor.errors.Problem;
import io.licensor.ids.Kid;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restore into a tenant that is here already ({@link TenantStore#restore} with replace): the
 * package merged into what is here, inside the restore's transaction, never rolled back behind the
 * operator's back (see there); each change it makes is listed for the audit.
 */
final class RestoreMerge {

  private RestoreMerge() {
  }

  static Future<TenantStore.RestoreOutcome> merge(SqlConnection conn, Tenant tenant, List<KeyVersion> versions, TenantState stateHere,
                                              RowSet<Row> here, Instant reflects, Instant lastChange,
                                              boolean force) {
    Map<Integer, Row> byVersion = new HashMap<>();
    here.forEach(r -> byVersion.put(r.getInteger("version"), r));
    boolean packageHasActive = versions.stream().anyMatch(v -> v.state() == KeyVersionState.ACTIVE
        && (byVersion.get(v.version()) == null || !KeyVersionState.DESTROYED.wireName().equals(byVersion.get(v.version()).getString("state"))));
    Set<Integer> inPackage = new HashSet<>();
    JsonArray changes = new JsonArray();
    List<KeyVersion> inserts = new ArrayList<>();
    List<Tuple> retainFirst = new ArrayList<>();
    List<Tuple> stateUpdates = new ArrayList<>();
    List<Tuple> destroys = new ArrayList<>();
    for (KeyVersion v : versions) {
      inPackage.add(v.version());
      Row existing = byVersion.get(v.version());
      if (existing == null) {
        inserts.add(v);
        changes.add(change(v.kid(), "added", null, v.state().wireName()));
        continue;
      }
      KeyVersionState was = KeyVersionState.fromWireName(existing.getString("state"));
      if (was == KeyVersionState.DESTROYED) {
        continue; // a tombstone: destroyed here, destroyed for good
      }
      if (!sameKey(existing.getJsonObject("public_jwk"), v)) {
        return Future.failedFuture(Problem.BACKUP_CONFLICT.with("version " + v.version() + " of tenant '" + tenant.id()
            + "' is another key here than in the package; a kid is never given to another key"));
      }
      if (v.state() == KeyVersionState.DESTROYED) {
        // destroyed before the package was made: a destroy is for good here too (the key erased)
        destroys.add(Tuple.of(tenant.id(), v.version(), "destroyed before the restored backup was made"));
        changes.add(change(v.kid(), "destroyed", was.wireName(), "destroyed"));
        continue;
      }
      if (was != v.state()) {
        (was == KeyVersionState.ACTIVE ? retainFirst : stateUpdates).add(Tuple.of(tenant.id(), v.version(), v.state().wireName()));
        changes.add(change(v.kid(), "state", was.wireName(), v.state().wireName()));
      }
    }
    for (Row r : here) {
      int version = r.getInteger("version");
      if (!inPackage.contains(version) && packageHasActive && KeyVersionState.ACTIVE.wireName().equals(r.getString("state"))) {
        retainFirst.add(Tuple.of(tenant.id(), version, KeyVersionState.RETAINED.wireName()));
        changes.add(change(Kid.of(tenant.id(), version), "state", "active", "retained"));
      }
    }
    if (stateHere != tenant.state()) {
      changes.add(new JsonObject().put("change", "tenant-state").put("from", stateHere.wireName()).put("to", tenant.state().wireName()));
    }
    if (changes.isEmpty()) {
      return Future.succeededFuture(new TenantStore.RestoreOutcome(true, changes));
    }
    // destroying what the package records as destroyed goes forward, never back: not a reason to refuse an older package
    boolean rollsBack = changes.stream().anyMatch(c -> !"destroyed".equals(((JsonObject) c).getString("change")));
    if (rollsBack && reflects.isBefore(lastChange) && !force) {
      return Future.failedFuture(Problem.BACKUP_OUTDATED.with("the package shows tenant '" + tenant.id() + "' as it was at "
          + reflects + ", before its last lifecycle change here at " + lastChange + " (a re-key, cancel, destroy or "
          + "restore); restoring it would change " + changes.size() + " thing(s) back: " + changes.encode()
          + ". Restore a newer package, or add force=true to apply it anyway (each change is recorded in the audit)"));
    }
    Future<?> chain = Future.succeededFuture();
    if (!destroys.isEmpty()) {
      // first: a version destroyed in the package may be the one active here
      chain = chain.compose(x -> conn.preparedQuery(TenantSql.DESTROY_VERSION).executeBatch(destroys));
    }
    for (List<Tuple> batch : List.of(retainFirst, stateUpdates)) {
      if (!batch.isEmpty()) {
        chain = chain.compose(x -> conn.preparedQuery(TenantSql.RESTORE_VERSION_STATE).executeBatch(batch));
      }
    }
    if (!inserts.isEmpty()) {
      chain = chain.compose(x -> TenantStore.insertVersions(conn, inserts));
    }
    return chain.compose(x -> conn.preparedQuery(TenantSql.REPLACE_TENANT).execute(Tuple.of(tenant.id(),
            tenant.displayName(), tenant.adminEmail(), tenant.identity().toJson(), tenant.state().wireName(),
            tenant.maxOfflineAccessSeconds())))
        .map(x -> new TenantStore.RestoreOutcome(true, changes));
  }

  private static boolean sameKey(JsonObject storedJwk, KeyVersion v) {
    try {
      return JWK.parse(storedJwk.encode()).toPublicJWK().equals(v.publicJwk().toPublicJWK());
    } catch (ParseException e) {
      return false;
    }
  }

  private static JsonObject change(String kid, String change, String from, String to) {
    return new JsonObject().put("change", change).put("kid", kid).put("from", from).put("to", to);
  }
}
