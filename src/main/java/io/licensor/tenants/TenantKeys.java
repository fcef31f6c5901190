package io.licensor.tenants;

import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;

import java.util.List;
import java.util.Optional;

/**
 * What a node knows of one tenant at one moment: the tenant and all its key versions, as loaded
 * from the database. Immutable; a refresh replaces it whole.
 */
public record TenantKeys(Tenant tenant, List<KeyVersion> versions, long loadedAtMillis) {

  public TenantKeys {
    versions = List.copyOf(versions);
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
