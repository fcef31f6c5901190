package io.licensor.tenants;

import java.util.HashSet;
import java.util.Set;

/**
 * A tenant's revoked documents as a node knows them: their content ids, complete up to change
 * number {@code through} of the database's revocation sequence, so the next load reads only the
 * changes past it (a delta), not the whole list. Immutable.
 */
public record RevokedDocuments(Set<String> ids, long through) {

  public static final RevokedDocuments NONE = new RevokedDocuments(Set.of(), -1);

  public RevokedDocuments {
    ids = Set.copyOf(ids);
  }

  public boolean contains(String contentId) {
    return ids.contains(contentId);
  }

  /** One change read from the database: a document revoked, or un-revoked, as change number {@code seq}. */
  record Change(String contentId, boolean revoked, long seq) {
  }

  /**
   * This list with these changes (those numbered past {@code through}) made. If the newest change
   * the database holds is older than {@code through} (a database restored to an earlier state) the
   * caller must read the whole list instead: {@code null} says so.
   */
  RevokedDocuments with(Iterable<Change> changes) {
    Set<String> next = null;
    long last = through;
    long newest = -1;
    for (Change c : changes) {
      newest = Math.max(newest, c.seq());
      if (c.seq() <= through) {
        continue;
      }
      if (next == null) {
        next = new HashSet<>(ids);
      }
      if (c.revoked()) {
        next.add(c.contentId());
      } else {
        next.remove(c.contentId());
      }
      last = Math.max(last, c.seq());
    }
    if (through >= 0 && newest < through) {
      return null;
    }
    return next == null ? this : new RevokedDocuments(next, last);
  }
}
