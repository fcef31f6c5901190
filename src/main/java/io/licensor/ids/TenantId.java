package io.licensor.ids;

import java.util.regex.Pattern;

/**
 * A tenant's id: 2 to 63 lower-case letters, digits and hyphens, starting with a letter or a digit.
 * Tenant ids travel as strings; this is where their form is written, once.
 */
public final class TenantId {

  /** The form, as error messages and the API documentation state it. */
  public static final String FORM = "^[a-z0-9][a-z0-9-]{1,62}$";
  static final String PART = "[a-z0-9][a-z0-9-]{1,62}";
  private static final Pattern PATTERN = Pattern.compile(FORM);

  private TenantId() {
  }

  public static boolean isValid(String id) {
    return id != null && PATTERN.matcher(id).matches();
  }
}
