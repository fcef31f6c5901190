package io.licensor.tenants;

import java.util.Arrays;

/** A tenant's subscription state. */
public enum TenantState {
  ACTIVE("active"),
  /** Subscription cancelled: the service no longer uses the tenant key, for anything. */
  CANCELLED("cancelled");

  private final String wireName;

  TenantState(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static TenantState fromWireName(String name) {
    return Arrays.stream(values()).filter(s -> s.wireName.equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown tenant state " + name));
  }
}
