package io.licensor.tenants;

import java.time.Instant;

/**
 * A tenant: who it is, where its users' tokens come from ({@code identity.issuer} and its JWKS),
 * and whether its subscription is active.
 */
public record Tenant(String id, String displayName, String adminEmail, TenantIdentity identity,
                     TenantState state, Instant createdAt) {
}
