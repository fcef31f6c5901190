package io.licensor.backup;

import com.nimbusds.jose.jwk.JWK;
import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.licensor.cluster.ChangeNotices;
import io.licensor.cluster.Propagation;
import io.licensor.errors.Problem;
import io.licensor.hsm.HsmClient;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.KeyToken;
import io.licensor.ids.TenantId;
import io.licensor.keys.KeyOrigin;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.licensor.keys.PublicJwks;
import io.licensor.lifecycle.TenantLocks;
import io.licensor.rights.RightsTemplate;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.Tenant;
import io.licensor.tenants.TenantIdentity;
import io.licensor.tenants.TenantKeys;
import io.licensor.tenants.TenantState;
import io.licensor.tenants.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.security.MessageDigest;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Backup packages (SPEC §3): a tenant's record and every key version, with public keys and key
 * tokens (never a private key in the clear), under an HMAC keyed from the world key. A destroyed
 * version is in it as a tombstone (its number, public key and state, no token), so a restore keeps
 * it destroyed, and its number is never given to another key (format 2; format 1 packages, which
 * left destroyed versions out, still restore). Restoring needs the same world loaded; a package that fails its MAC, or whose tokens
 * do not hold its public keys, is refused before anything is written.
 */
public final class BackupService {

  public static final String FORMAT = "licensor-backup/2";
  static final String FORMAT_1 = "licensor-backup/1";

  private final TenantStore store;
  private final KeyDirectory directory;
  private final HsmClient hsm;
  private final AuditLog audit;
  private final String worldId;
  private final TenantLocks locks;
  private final ChangeNotices notices;

  public BackupService(TenantStore store, KeyDirectory directory, HsmClient hsm, AuditLog audit, String worldId,
                       TenantLocks locks, ChangeNotices notices) {
    this.locks = locks;
    this.notices = notices;
    this.store = store;
    this.directory = directory;
    this.hsm = hsm;
    this.audit = audit;
    this.worldId = worldId;
  }

  public Future<JsonObject> backup(String tenantId, String by, String requestId) {
    // the time of the last change first: a change made meanwhile makes the package newer than it says, never older
    return store.lastChange(tenantId).compose(lastChange -> directory.refresh(tenantId)
        .map(t -> t.orElseThrow(() -> Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'")))
        .compose(t -> {
          JsonObject pkg = unsigned(t);
          lastChange.ifPresent(at -> pkg.getJsonObject("tenant").put("updatedAt", at.toString()));
          return hsm.worldMac(CanonicalJson.bytes(pkg)).map(mac -> pkg.put("mac", HexFormat.of().formatHex(mac)));
        })
        .compose(pkg -> audit.record(AuditEvent.now(tenantId, null, by, "tenant.backup", "ok", audit.node(), requestId,
            new JsonObject().put("versions", pkg.getJsonArray("keys").size()).encode())).map(x -> pkg)));
  }

  private JsonObject unsigned(TenantKeys t) {
    Tenant tenant = t.tenant();
    JsonArray keys = new JsonArray();
    for (KeyVersion v : t.versions()) {
      JsonObject key = new JsonObject()
          .put("version", v.version())
          .put("state", v.state().wireName())
          .put("algorithm", v.algorithm().wireName())
          .put("origin", v.origin().wireName())
          .put("createdAt", v.createdAt().toString())
          .put("publicJwk", new JsonObject(v.publicJwk().toPublicJWK().toJSONObject()));
      if (v.state() != KeyVersionState.DESTROYED) {
        key.put("token", v.token().encode());
      }
      keys.add(key);
    }
    return new JsonObject()
        .put("format", FORMAT)
        .put("worldId", worldId)
        .put("createdAt", Instant.now().toString())
        .put("tenant", new JsonObject()
            .put("id", tenant.id())
            .put("displayName", tenant.displayName())
            .put("adminEmail", tenant.adminEmail())
            .put("state", tenant.state().wireName())
            .put("identity", tenant.identity().toJson())
            .put("createdAt", tenant.createdAt().toString())
            .put("maxOfflineAccessSeconds", tenant.maxOfflineAccessSeconds()))
        .put("keys", keys)
        // so a recovery keeps what no one may open and the policies content names (not secrets: ids and rights)
        .put("revokedDocuments", new JsonArray(new java.util.TreeSet<>(t.revokedDocuments().ids()).stream().map(id -> (Object) id).toList()))
        .put("templates", new JsonArray(t.templates().values().stream()
            .sorted(java.util.Comparator.comparing(RightsTemplate::id))
            .map(tpl -> (Object) new JsonObject().put("id", tpl.id()).put("definition", tpl.definition().toJson())
                .put("createdAt", tpl.createdAt().toString())
                .put("archivedAt", tpl.archivedAt() == null ? null : tpl.archivedAt().toString()))
            .toList()));
  }

  /** What a restore did; {@code changes}: what it changed in a tenant that was here. */
  public record Restored(String tenantId, int versions, boolean replaced, JsonArray changes, Propagation propagation) {
  }

  /**
   * Restores a package. A tenant that exists is merged only when {@code replace} is set, and never
   * rolled back unless {@code force} ({@link TenantStore#restore}); every change is in the audit.
   */
  public Future<Restored> restore(JsonObject pkg, boolean replace, boolean force, String by, String requestId) {
    if (!(FORMAT.equals(pkg.getValue("format")) || FORMAT_1.equals(pkg.getValue("format")))
        || !(pkg.getValue("worldId") instanceof String packageWorld)
        || !(pkg.getValue("mac") instanceof String macHex) || !(pkg.getValue("tenant") instanceof JsonObject)
        || !(pkg.getValue("keys") instanceof JsonArray)) {
      return Future.failedFuture(Problem.BACKUP_INVALID.with("not a " + FORMAT + " package"));
    }
    if (!packageWorld.equals(worldId)) {
      return Future.failedFuture(Problem.WORLD_MISMATCH.with("the package belongs to security world " + packageWorld
          + "; this node has world " + worldId + " loaded. Load world " + packageWorld + " from its admin cards first"));
    }
    JsonObject unsigned = pkg.copy();
    unsigned.remove("mac");
    byte[] claimed;
    try {
      claimed = HexFormat.of().parseHex(macHex);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(Problem.BACKUP_INVALID.with("the package's mac is not hex"));
    }
    return hsm.worldMac(CanonicalJson.bytes(unsigned))
        .compose(mac -> MessageDigest.isEqual(mac, claimed)
            ? Future.succeededFuture()
            : Future.failedFuture(Problem.BACKUP_INVALID.with("the package fails its integrity check: it was altered, "
                + "or made by another world")))
        .compose(v -> parse(pkg))
        .compose(parsed -> checkTokens(parsed.versions(), 0).map(x -> parsed))
        .compose(parsed -> locks.with(parsed.tenant().id(), () -> store.restore(parsed.tenant(), parsed.versions(),
                parsed.revoked(), parsed.templates(), parsed.reflects(), replace, force)
            .compose(outcome -> {
              parsed.versions().forEach(k -> hsm.forget(k.kid()));
              JsonObject details = new JsonObject().put("versions", parsed.versions().size())
                  .put("revokedDocuments", parsed.revoked().size()).put("templates", parsed.templates().size())
                  .put("replaced", outcome.replaced()).put("packageReflects", parsed.reflects().toString())
                  .put("changes", outcome.changes());
              if (force) {
                details.put("forced", true);
              }
              return directory.refresh(parsed.tenant().id())
                  .compose(t -> audit.record(AuditEvent.now(parsed.tenant().id(), null, by, "tenant.restore", "ok",
                      audit.node(), requestId, details.encode()))
                      .map(x -> t.map(TenantKeys::revision).orElse(Long.MAX_VALUE)))
                  .compose(revision -> notices.announce(parsed.tenant().id(), revision))
                  .map(p -> new Restored(parsed.tenant().id(), parsed.versions().size(), outcome.replaced(), outcome.changes(), p));
            })));
  }

  /** {@code reflects}: the time of the tenant's last change the package shows (its updatedAt, else when it was made). */
  record Parsed(Tenant tenant, List<KeyVersion> versions, Set<String> revoked, List<RightsTemplate> templates, Instant reflects) {
  }

  /** The package's content, or 400 backup-invalid (package-private for the fuzz test). */
  static Future<Parsed> parse(JsonObject pkg) {
    try {
      JsonObject t = pkg.getJsonObject("tenant");
      String id = t.getString("id");
      if (!TenantId.isValid(id)) {
        throw new IllegalArgumentException("tenant id");
      }
      Tenant tenant = new Tenant(id, t.getString("displayName"), t.getString("adminEmail"),
          TenantIdentity.fromJson(t.getJsonObject("identity")), TenantState.fromWireName(t.getString("state")),
          Instant.parse(t.getString("createdAt")), t.getLong("maxOfflineAccessSeconds"));
      List<KeyVersion> versions = new ArrayList<>();
      int active = 0;
      for (Object o : pkg.getJsonArray("keys")) {
        JsonObject k = (JsonObject) o;
        int version = k.getInteger("version");
        KeyVersionState state = KeyVersionState.fromWireName(k.getString("state"));
        boolean tombstone = state == KeyVersionState.DESTROYED;
        if (tombstone && (!FORMAT.equals(pkg.getString("format")) || k.containsKey("token"))) {
          throw new IllegalArgumentException("a destroyed version holds no token, and only format 2 has them");
        }
        active += state == KeyVersionState.ACTIVE ? 1 : 0;
        KeyAlgorithm algorithm = KeyAlgorithm.fromWireName(k.getString("algorithm")).orElseThrow();
        JWK jwk = JWK.parse(k.getJsonObject("publicJwk").encode());
        if (jwk.isPrivate()) {
          throw new IllegalArgumentException("a private key in the package");
        }
        versions.add(new KeyVersion(id, version, state, algorithm, KeyOrigin.fromWireName(k.getString("origin")).orElseThrow(),
            jwk, tombstone ? null : KeyToken.parse(k.getString("token")), Instant.parse(k.getString("createdAt"))));
      }
      if (active > 1) {
        throw new IllegalArgumentException("two active versions");
      }
      Instant reflects = Instant.parse(t.containsKey("updatedAt") ? t.getString("updatedAt") : pkg.getString("createdAt"));
      Set<String> revoked = new java.util.HashSet<>();
      for (Object o : pkg.getJsonArray("revokedDocuments", new JsonArray())) {
        if (!(o instanceof String doc) || doc.isEmpty() || doc.length() > 256 || doc.chars().anyMatch(Character::isISOControl)) {
          throw new IllegalArgumentException("a revoked document's id");
        }
        revoked.add(doc);
      }
      List<RightsTemplate> templates = new ArrayList<>();
      for (Object o : pkg.getJsonArray("templates", new JsonArray())) {
        JsonObject tpl = (JsonObject) o;
        if (!RightsTemplate.isValidId(tpl.getString("id")) || RightsTemplate.DO_NOT_FORWARD.equals(tpl.getString("id"))) {
          throw new IllegalArgumentException("a template's id");
        }
        Instant created = Instant.parse(tpl.getString("createdAt"));
        String archived = tpl.getString("archivedAt");
        templates.add(RightsTemplate.of(tpl.getString("id"), RightsTemplate.parse(tpl.getJsonObject("definition"), null),
            archived == null ? null : Instant.parse(archived), 1, created, created));
      }
      return Future.succeededFuture(new Parsed(tenant, versions, revoked, templates, reflects));
    } catch (RuntimeException | ParseException e) {
      return Future.failedFuture(Problem.BACKUP_INVALID.with("the package's content is malformed"));
    }
  }

  /** Each token must unwrap under this world to the private key of the version's public key. */
  private Future<Void> checkTokens(List<KeyVersion> versions, int index) {
    if (index >= versions.size()) {
      return Future.succeededFuture();
    }
    KeyVersion v = versions.get(index);
    if (v.state() == KeyVersionState.DESTROYED) {
      return checkTokens(versions, index + 1);
    }
    return hsm.load(v.keyRef())
        .recover(err -> Future.failedFuture(Problem.BACKUP_INVALID.with("the key token of " + v.kid() + " does not load")))
        .compose(publicKey -> PublicJwks.of(publicKey, v.kid()).toPublicJWK().equals(v.publicJwk().toPublicJWK())
            ? checkTokens(versions, index + 1)
            : Future.failedFuture(Problem.BACKUP_INVALID.with("the key token of " + v.kid() + " does not match its public key")));
  }
}
