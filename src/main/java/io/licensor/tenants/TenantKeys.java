package io.licensor.tenants;

import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a node knows of one tenant at one moment: the tenant and all its key versions, as loaded
 * from the database at {@code revision} (its last change at directory epoch {@code changeEpoch}),
 * known to be current as of {@code loadedAtMillis} (the load, or a later check that the revision
 * had not moved). Immutable; a refresh replaces it whole.
 */
public record TenantKeys(Tenant tenant, List<KeyVersion> versions, long revision, long changeEpoch, long loadedAtMillis,
                         Set<String> revokedDocuments) {

  public TenantKeys {
    versions = List.copyOf(versions);
    revokedDocuments = Set.copyOf(revokedDocuments);
  }

  public TenantKeys(Tenant tenant, List<KeyVersion> versions, long revision, long changeEpoch, long loadedAtMillis) {
    this(tenant, versions, revision, changeEpoch, loadedAtMillis, Set.of());
  }

  /** The same knowledge, confirmed current at {@code millis}. */
  public TenantKeys confirmedAt(long millis) {
    return new TenantKeys(tenant, versions, revision, changeEpoch, millis, revokedDocuments);
  }

  /** Whether the document with this content id is revoked: no node licenses it (a set lookup, no database). */
  public boolean revoked(String contentId) {
    return revokedDocuments.contains(contentId);
  }

  public Optional<KeyVersion> active() {
    return versions.stream().filter(v -> v.state() == KeyVersionState.ACTIVE).findFirst();
  }

  public Optional<KeyVersion> version(int version) {
    return versions.stream().filter(v -> v.version() == version).findFirst();
  }

  public int latestVersion() {
    return versions.stream().mapToInt(KeyVersion::version).max().orElse(0);
  }
}
