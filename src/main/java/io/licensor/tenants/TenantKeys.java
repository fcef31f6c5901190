package io.licensor.tenants;

import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.licensor.rights.RightsTemplate;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a node knows of one tenant at one moment: the tenant and all its key versions, as loaded
 * from the database at {@code revision} (its last change at directory epoch {@code changeEpoch}),
 * known to be current as of {@code loadedAtMillis} (the load, or a later check that the revision
 * had not moved), with its revoked documents and its rights templates (by id, the built-in ones
 * not among them). Immutable; a refresh replaces it whole.
 */
public record TenantKeys(Tenant tenant, List<KeyVersion> versions, long revision, long changeEpoch, long loadedAtMillis,
                         RevokedDocuments revokedDocuments, Map<String, RightsTemplate> templates) {

  public TenantKeys {
    versions = List.copyOf(versions);
    templates = Map.copyOf(templates);
  }

  public TenantKeys(Tenant tenant, List<KeyVersion> versions, long revision, long changeEpoch, long loadedAtMillis) {
    this(tenant, versions, revision, changeEpoch, loadedAtMillis, RevokedDocuments.NONE, Map.of());
  }

  /** The same knowledge, confirmed current at {@code millis}. */
  public TenantKeys confirmedAt(long millis) {
    return new TenantKeys(tenant, versions, revision, changeEpoch, millis, revokedDocuments, templates);
  }

  /** The tenant's template with this id, the built-in ones included: a map lookup, no database. */
  public Optional<RightsTemplate> template(String id) {
    if (RightsTemplate.DO_NOT_FORWARD.equals(id)) {
      return Optional.of(RightsTemplate.BUILT_IN_DO_NOT_FORWARD);
    }
    return Optional.ofNullable(templates.get(id));
  }

  /** Every template of the tenant, built-in first, then by name. */
  public List<RightsTemplate> allTemplates() {
    java.util.ArrayList<RightsTemplate> all = new java.util.ArrayList<>();
    all.add(RightsTemplate.BUILT_IN_DO_NOT_FORWARD);
    templates.values().stream().sorted(Comparator.comparing(t -> t.name().toLowerCase(java.util.Locale.ROOT))).forEach(all::add);
    return all;
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
