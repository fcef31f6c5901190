package io.licensor.tenants;

import java.util.HashSet;
import java.util.Set;

/**
 * A tenant's revoked documents as a node knows them: their content ids, complete up to change
 * number {@code through} of the database's revocation sequence, so the next load reads only the
 * changes past it (a delta), not the whole list. Immutable.
 *
 * <p>Held as a large {@code base} set and a small overlay of the changes since ({@code added},
 * {@code removed}): a change copies the overlay, not the list, and the overlay is folded into a new
 * base once it holds {@link #OVERLAY_LIMIT} ids. So a tenant with 100,000 revoked documents pays
 * about a thousand set operations per change, and a lookup three set lookups.
 */
public final class RevokedDocuments {

  /** Overlay size past which a change folds it into a new base. */
  static final int OVERLAY_LIMIT = 1024;

  public static final RevokedDocuments NONE = new RevokedDocuments(Set.of(), Set.of(), Set.of(), -1);

  private final Set<String> base;
  private final Set<String> added;
  private final Set<String> removed;
  private final long through;

  private RevokedDocuments(Set<String> base, Set<String> added, Set<String> removed, long through) {
    this.base = base;
    this.added = added;
    this.removed = removed;
    this.through = through;
  }

  /** A list of these ids, complete up to change {@code through}. */
  public static RevokedDocuments of(Set<String> ids, long through) {
    return new RevokedDocuments(Set.copyOf(ids), Set.of(), Set.of(), through);
  }

  public boolean contains(String contentId) {
    return contentId != null && (added.contains(contentId) || (base.contains(contentId) && !removed.contains(contentId)));
  }

  /** The number of the last change this list holds (-1: none). */
  public long through() {
    return through;
  }

  /** How many documents are revoked (the overlay adds only ids the base lacks and removes only ids it has). */
  public int size() {
    return base.size() - removed.size() + added.size();
  }

  /** The revoked ids, as a new set. */
  public Set<String> ids() {
    Set<String> all = new HashSet<>(base);
    all.removeAll(removed);
    all.addAll(added);
    return all;
  }

  /**
   * One change read from the database: a document revoked, or un-revoked, as change number
   * {@code seq}; a null {@code contentId} only says that {@code seq} is the tenant's newest change.
   */
  record Change(String contentId, boolean revoked, long seq) {
  }

  /**
   * This list with these changes (those numbered past {@code through}, in order) made. If the newest
   * change the database holds is older than {@code through} (a database restored to an earlier
   * state) the caller must read the whole list instead: {@code null} says so.
   */
  RevokedDocuments with(Iterable<Change> changes) {
    Set<String> nextAdded = null;
    Set<String> nextRemoved = null;
    long last = through;
    long newest = -1;
    for (Change c : changes) {
      newest = Math.max(newest, c.seq());
      if (c.seq() <= through || c.contentId() == null) {
        continue;
      }
      if (nextAdded == null) {
        nextAdded = new HashSet<>(added);
        nextRemoved = new HashSet<>(removed);
      }
      if (c.revoked()) {
        nextRemoved.remove(c.contentId());
        if (!base.contains(c.contentId())) {
          nextAdded.add(c.contentId());
        }
      } else {
        nextAdded.remove(c.contentId());
        if (base.contains(c.contentId())) {
          nextRemoved.add(c.contentId());
        }
      }
      last = Math.max(last, c.seq());
    }
    if (through >= 0 && newest < through) {
      return null;
    }
    if (nextAdded == null) {
      return this;
    }
    if (nextAdded.size() + nextRemoved.size() > OVERLAY_LIMIT) {
      Set<String> folded = new HashSet<>(base);
      folded.removeAll(nextRemoved);
      folded.addAll(nextAdded);
      return new RevokedDocuments(Set.copyOf(folded), Set.of(), Set.of(), last);
    }
    return new RevokedDocuments(base, Set.copyOf(nextAdded), Set.copyOf(nextRemoved), last);
  }

  @Override
  public String toString() {
    return "RevokedDocuments[" + size() + " through " + through + "]";
  }
}
