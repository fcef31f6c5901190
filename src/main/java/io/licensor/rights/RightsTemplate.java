package io.licensor.rights;

import io.licensor.json.StrictJson;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A rights policy template of a tenant (issue 23, item 1), as Azure RMS has them: a named policy
 * its admins keep, which a publishing license names ({@code policy.template}) instead of, or as well
 * as, grants of its own. Its rights are read when a license is issued, so a change to it changes what
 * every document published with it grants, and archiving it stops new publishing with it while its
 * documents stay licensable.
 *
 * <ul>
 *   <li>{@code grants}: rights the template itself gives (may be empty);</li>
 *   <li>{@code recipientRights}: the most a publishing license's own grants give under it (so a
 *       "do not forward" template lets the publisher name the recipients but never give them
 *       FORWARD); absent, the rights of the template's own grants;</li>
 *   <li>{@code validity}: when content published with it expires — {@code {"notAfter": epoch
 *       seconds}} or {@code {"days": N}} after it was published;</li>
 *   <li>{@code offlineAccessSeconds}: how long a use license may be used without asking again
 *       (0: always online), bounded by the tenant's maximum;</li>
 *   <li>{@code publishers}: who may publish with it (principals as in grants; default anyone of
 *       the tenant).</li>
 * </ul>
 */
public record RightsTemplate(String id, String name, String description, List<Grant> grants, Set<Right> recipientRights,
                             Validity validity, Long offlineAccessSeconds, List<String> publishers, Instant archivedAt,
                             long revision, Instant createdAt, Instant updatedAt, boolean builtIn) {

  /** When content published with a template expires: at a fixed time, or some days after it was published. */
  public record Validity(Long notAfter, Long days) {
    /** The expiry of content published at {@code issuedAt}. */
    public long notAfterFor(long issuedAt) {
      return notAfter != null ? notAfter : issuedAt + days * 86_400L;
    }

    JsonObject toJson() {
      return notAfter != null ? new JsonObject().put("notAfter", notAfter) : new JsonObject().put("days", days);
    }
  }

  /** What an admin writes of a template; the rest (id, times, revision) the server keeps. */
  public record Definition(String name, String description, List<Grant> grants, Set<Right> recipientRights,
                           Validity validity, Long offlineAccessSeconds, List<String> publishers) {
    public Definition {
      grants = List.copyOf(grants);
      recipientRights = recipientRights == null ? null : Set.copyOf(recipientRights);
      publishers = List.copyOf(publishers);
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("name", name).put("description", description).put("grants", Grant.toJson(grants));
      if (recipientRights != null) {
        json.put("recipientRights", Right.toJson(recipientRights));
      }
      if (validity != null) {
        json.put("validity", validity.toJson());
      }
      if (offlineAccessSeconds != null) {
        json.put("offlineAccessSeconds", offlineAccessSeconds);
      }
      return json.put("publishers", new JsonArray(new ArrayList<>(publishers)));
    }
  }

  /** The members an admin may write. */
  public static final List<String> MEMBERS =
      List.of("name", "description", "grants", "recipientRights", "validity", "offlineAccessSeconds", "publishers");

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** Whether a string can be a template's id (what a publishing license's {@code policy.template} holds). */
  public static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  /** The built-in template every tenant has (RMS's "Do Not Forward"): its recipients view and edit, nothing more. */
  public static final String DO_NOT_FORWARD = "do-not-forward";

  public static final RightsTemplate BUILT_IN_DO_NOT_FORWARD = new RightsTemplate(DO_NOT_FORWARD, "Do Not Forward",
      "The recipients the publisher names may view and edit it; they may not forward, export or print it.",
      List.of(), EnumSet.of(Right.VIEW, Right.EDIT), null, null, List.of("*"), null, 0, Instant.EPOCH, Instant.EPOCH, true);

  public RightsTemplate {
    grants = List.copyOf(grants);
    recipientRights = recipientRights == null ? null : Set.copyOf(recipientRights);
    publishers = List.copyOf(publishers);
  }

  public static RightsTemplate of(String id, Definition d, Instant archivedAt, long revision, Instant createdAt,
                                  Instant updatedAt) {
    return new RightsTemplate(id, d.name(), d.description(), d.grants(), d.recipientRights(), d.validity(),
        d.offlineAccessSeconds(), d.publishers(), archivedAt, revision, createdAt, updatedAt, false);
  }

  public Definition definition() {
    return new Definition(name, description, grants, recipientRights, validity, offlineAccessSeconds, publishers);
  }

  public boolean archived() {
    return archivedAt != null;
  }

  /** The rights the publishing license's own grants may give at most under this template. */
  public Set<Right> recipientCeiling() {
    if (recipientRights != null) {
      return Right.expand(recipientRights);
    }
    Set<Right> all = EnumSet.noneOf(Right.class);
    grants.forEach(g -> all.addAll(g.rights()));
    return Right.expand(all);
  }

  /**
   * This user's rights on content that names this template and has these grants of its own: the
   * template's grants, and the content's own within {@link #recipientCeiling()}.
   */
  public Set<Right> rightsFor(List<Grant> ownGrants, String user, Set<String> groups) {
    Set<Right> rights = EnumSet.noneOf(Right.class);
    rights.addAll(Grant.rightsFor(grants, user, groups));
    Set<Right> own = EnumSet.noneOf(Right.class);
    own.addAll(Grant.rightsFor(ownGrants, user, groups));
    own.retainAll(recipientCeiling());
    rights.addAll(own);
    return rights;
  }

  /** Whether this user may publish with it (not whether it is archived). */
  public boolean mayPublish(String user, Set<String> groups) {
    return publishers.stream().anyMatch(p -> new Grant(p, Set.of(Right.VIEW)).matches(user, groups));
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("id", id).mergeIn(definition().toJson())
        .put("recipientCeiling", Right.toJson(recipientCeiling()))
        .put("state", archived() ? "archived" : "active").put("builtIn", builtIn);
    if (!builtIn) {
      json.put("revision", revision).put("createdAt", createdAt.toString()).put("updatedAt", updatedAt.toString());
    }
    if (archivedAt != null) {
      json.put("archivedAt", archivedAt.toString());
    }
    return json;
  }

  /**
   * A template's definition from an admin's JSON, strictly: {@code base} gives the members the JSON
   * does not name (a change), or null for a new template (name and one of grants or recipientRights
   * required). A member given as null is cleared (recipientRights, validity, offlineAccessSeconds).
   * The {@link IllegalArgumentException} says what is wrong.
   */
  public static Definition parse(JsonObject json, Definition base) {
    for (String field : json.fieldNames()) {
      if (!MEMBERS.contains(field)) {
        throw new IllegalArgumentException(field + " is not a member of a template (" + String.join(", ", MEMBERS) + ")");
      }
    }
    if (base != null && json.isEmpty()) {
      throw new IllegalArgumentException("the change names nothing to change (" + String.join(", ", MEMBERS) + ")");
    }
    String name = json.containsKey("name") ? text(json.getValue("name"), "name", 1, 100) : base == null ? null : base.name();
    if (name == null) {
      throw new IllegalArgumentException("name is required (1 to 100 characters)");
    }
    String description = json.containsKey("description") ? text(json.getValue("description"), "description", 0, 1000)
        : base == null ? "" : base.description();
    List<Grant> grants = json.containsKey("grants") ? Grant.parseList(json.getValue("grants"), "grants", true)
        : base == null ? List.of() : base.grants();
    Set<Right> recipientRights = json.containsKey("recipientRights")
        ? (json.getValue("recipientRights") == null ? null : Right.parseList(json.getValue("recipientRights"), "recipientRights"))
        : base == null ? null : base.recipientRights();
    if (grants.isEmpty() && recipientRights == null) {
      throw new IllegalArgumentException("a template gives rights: grants (its own) or recipientRights (the most a "
          + "publisher may give the recipients it names), or both");
    }
    Validity validity = json.containsKey("validity") ? validity(json.getValue("validity"))
        : base == null ? null : base.validity();
    Long offline = json.containsKey("offlineAccessSeconds") ? offlineAccess(json.getValue("offlineAccessSeconds"),
        "offlineAccessSeconds") : base == null ? null : base.offlineAccessSeconds();
    List<String> publishers = json.containsKey("publishers") ? publishers(json.getValue("publishers"))
        : base == null ? List.of("*") : base.publishers();
    return new Definition(name, description, grants, recipientRights, validity, offline, publishers);
  }

  /** A whole number of seconds from 0 up (0: always online); null stays null. */
  public static Long offlineAccess(Object value, String where) {
    if (value == null) {
      return null;
    }
    Long seconds = StrictJson.wholeNumber(value, 0, 10L * 366 * 86_400);
    if (seconds == null) {
      throw new IllegalArgumentException(where + " must be a whole number of seconds from 0 (always online) to ten years");
    }
    return seconds;
  }

  private static String text(Object value, String where, int min, int max) {
    if (!(value instanceof String s) || s.strip().length() < min || s.length() > max
        || s.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(where + " must be text of " + min + " to " + max + " characters, no control characters");
    }
    return s.strip();
  }

  private static Validity validity(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject v) || v.size() != 1 || !(v.containsKey("notAfter") || v.containsKey("days"))) {
      throw new IllegalArgumentException("validity must be {\"notAfter\": <epoch seconds>} or {\"days\": <days after publishing>}");
    }
    boolean days = v.containsKey("days");
    Long n = StrictJson.wholeNumber(v.getValue(days ? "days" : "notAfter"), 1, days ? 36_600 : Long.MAX_VALUE);
    if (n == null) {
      throw new IllegalArgumentException("validity." + (days ? "days" : "notAfter")
          + " must be a positive whole number" + (days ? " of days (at most 36,600)" : " (epoch seconds)"));
    }
    return days ? new Validity(null, n) : new Validity(n, null);
  }

  private static List<String> publishers(Object value) {
    if (!(value instanceof JsonArray a) || a.isEmpty() || a.size() > Grant.MAX_GRANTS) {
      throw new IllegalArgumentException("publishers must be a non-empty array of principals (a user, *@domain, * or group:NAME)");
    }
    List<String> out = new ArrayList<>();
    for (Object p : a) {
      if (!(p instanceof String s) || !Grant.isValidPrincipal(s)) {
        throw new IllegalArgumentException("publishers: each must be a user, *@domain, * or group:NAME");
      }
      out.add(s);
    }
    return out;
  }

  /** The stored form of a definition (the database's jsonb), read back by {@link #parse}. */
  public static Definition fromStored(JsonObject stored) {
    return parse(stored, null);
  }
}
