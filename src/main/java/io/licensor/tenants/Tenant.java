package io.licensor.tenants;

import java.time.Instant;

/**
 * A tenant: who it is, where its users' tokens come from ({@code identity.issuer} and its JWKS),
 * whether its subscription is active, and the longest its use licenses may be used offline
 * ({@code maxOfflineAccessSeconds}; null: the service's maximum).
 */
public record Tenant(String id, String displayName, String adminEmail, TenantIdentity identity,
                     TenantState state, Instant createdAt, Long maxOfflineAccessSeconds) {

  public Tenant(String id, String displayName, String adminEmail, TenantIdentity identity, TenantState state,
                Instant createdAt) {
    this(id, displayName, adminEmail, identity, state, createdAt, null);
  }
}
