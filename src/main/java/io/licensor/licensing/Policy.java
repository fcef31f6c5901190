package io.licensor.licensing;

import io.licensor.json.StrictJson;
import io.licensor.rights.Grant;
import io.licensor.rights.Right;
import io.licensor.rights.RightsTemplate;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

/**
 * The policy a publisher attaches to content: who gets which rights, until when, and how long a
 * use license may live. Parsed strictly: an invalid policy is rejected, never half-applied.
 *
 * <p>{@code template} names one of the tenant's rights templates (issue 23): its grants, validity
 * and offline access then apply as well, read when a license is issued; the policy's own
 * {@code grants} may then be absent (and give at most the template's recipient rights).
 * {@code offlineAccessSeconds} (0: always online) says how long a use license may be used without
 * asking again; {@code licenseTtlSeconds} is the older name of the same bound (at most one of them).
 */
public record Policy(List<Grant> grants, Long notAfter, Long licenseTtlSeconds, String template, Long offlineAccessSeconds) {

  public Policy {
    grants = List.copyOf(grants);
  }

  public Policy(List<Grant> grants, Long notAfter, Long licenseTtlSeconds) {
    this(grants, notAfter, licenseTtlSeconds, null, null);
  }

  /** Parses and checks a policy; the exception message says what is wrong. */
  public static Policy fromJson(Object value) {
    if (!(value instanceof JsonObject json)) {
      throw new IllegalArgumentException("policy must be an object");
    }
    String template = null;
    if (json.containsKey("template")) {
      if (!(json.getValue("template") instanceof String t) || !RightsTemplate.isValidId(t)) {
        throw new IllegalArgumentException("policy.template must be a template's id (letters, digits, '.', '_', '-'; at most 64)");
      }
      template = t;
    }
    List<Grant> grants = template != null && !json.containsKey("grants") ? List.of()
        : Grant.parseList(json.getValue("grants"), "policy.grants", false);
    Long notAfter = positiveLong(json, "notAfter");
    Long ttl = positiveLong(json, "licenseTtlSeconds");
    Long offline = RightsTemplate.offlineAccess(json.getValue("offlineAccessSeconds"), "policy.offlineAccessSeconds");
    if (ttl != null && offline != null) {
      throw new IllegalArgumentException("policy: give offlineAccessSeconds or licenseTtlSeconds (its older name), not both");
    }
    return new Policy(grants, notAfter, ttl, template, offline);
  }

  private static Long positiveLong(JsonObject json, String name) {
    Object v = json.getValue(name);
    if (v == null) {
      return null;
    }
    Long n = StrictJson.wholeNumber(v, 1, Long.MAX_VALUE);
    if (n == null) {
      throw new IllegalArgumentException("policy." + name + " must be a positive integer");
    }
    return n;
  }

  /** Every right any matching grant gives this user; OWNER expands to all rights (the template not counted). */
  public Set<Right> rightsFor(String user, Set<String> groups) {
    return Grant.rightsFor(grants, user, groups);
  }

  /** The policy's own bound on a use license's offline use, under either name; null if it sets none. */
  public Long offlineAccess() {
    return offlineAccessSeconds != null ? offlineAccessSeconds : licenseTtlSeconds;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    if (template != null) {
      json.put("template", template);
    }
    if (!grants.isEmpty() || template == null) {
      json.put("grants", Grant.toJson(grants));
    }
    if (notAfter != null) {
      json.put("notAfter", notAfter);
    }
    if (licenseTtlSeconds != null) {
      json.put("licenseTtlSeconds", licenseTtlSeconds);
    }
    if (offlineAccessSeconds != null) {
      json.put("offlineAccessSeconds", offlineAccessSeconds);
    }
    return json;
  }
}
