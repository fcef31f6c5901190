package io.licensor.identity;

import java.util.Set;

/**
 * Who is calling, after the bearer token was verified: an operator (the service's own staff) or a
 * user of one tenant, with the roles and groups the token gave.
 */
public record Principal(String subject, String issuer, String tenantId, Set<String> roles, Set<String> groups,
                        boolean operator) {

  public static final String OPERATOR_ROLE = "operator";
  public static final String TENANT_ADMIN_ROLE = "tenant-admin";

  public boolean isUserOf(String tenant) {
    return !operator && tenantId != null && tenantId.equals(tenant);
  }

  public boolean isTenantAdminOf(String tenant) {
    return isUserOf(tenant) && roles.contains(TENANT_ADMIN_ROLE);
  }
}
