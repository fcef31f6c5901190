package io.licensor.ids;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A key id as licensor writes it. A tenant key version is {@code {tenantId}:{version}}, the kid in
 * every publishing and use license; a key-exchange key (BYOK) is {@code kek:{tenantId}:{hex}}.
 * Both name their tenant, which is whose HSM lane their operations wait in.
 */
public record Kid(String tenantId, int version) {

  private static final Pattern KEY_VERSION = Pattern.compile("^(" + TenantId.PART + "):([1-9][0-9]{0,8})$");
  private static final String KEK_PREFIX = "kek:";

  public Kid {
    if (!TenantId.isValid(tenantId) || version < 1) {
      throw new IllegalArgumentException("not a key version: " + tenantId + " version " + version);
    }
  }

  /** The kid of a tenant's key version. */
  public static String of(String tenantId, int version) {
    return tenantId + ":" + version;
  }

  /** A key version's kid, or null when {@code kid} is not one (a malformed one, a KEK's). */
  public static Kid parse(String kid) {
    Matcher m = kid == null ? null : KEY_VERSION.matcher(kid);
    return m == null || !m.matches() ? null : new Kid(m.group(1), Integer.parseInt(m.group(2)));
  }

  /** The version a key version's kid names, or 0 when it names none. */
  public static int versionOf(String kid) {
    Kid parsed = parse(kid);
    return parsed == null ? 0 : parsed.version();
  }

  /** The kid of a tenant's key-exchange key; {@code hex} tells it from the tenant's other KEKs. */
  public static String kek(String tenantId, String hex) {
    return KEK_PREFIX + tenantId + ":" + hex;
  }

  /**
   * The tenant a kid names, a key version's or a KEK's, or the kid itself when it names none (a
   * key that belongs to no tenant waits in a lane of its own).
   */
  public static String tenantOf(String kid) {
    String rest = kid.startsWith(KEK_PREFIX) ? kid.substring(KEK_PREFIX.length()) : kid;
    int colon = rest.lastIndexOf(':');
    return colon < 0 ? kid : rest.substring(0, colon);
  }

  @Override
  public String toString() {
    return of(tenantId, version);
  }
}
