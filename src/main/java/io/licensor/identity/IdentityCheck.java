package io.licensor.identity;

import io.licensor.errors.Problem;
import io.licensor.identity.remote.RemoteKeys;
import io.licensor.tenants.TenantIdentity;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;

/**
 * Whether a tenant identity that names a provider's published key set (discovery or
 * {@code jwksUri}) can be used now: its key set is fetched, through the same guarded and cached
 * source tokens are verified with, when the identity is registered (creation, change), so a wrong
 * URL, a provider licensor may not reach or a certificate it does not trust is a 400 naming the
 * cause there, not a 503 for the tenant's first user. The fetched set stays cached for the users.
 */
public final class IdentityCheck {

  private final RemoteKeys remoteKeys;
  private final WorkerExecutor keyFetches;

  public IdentityCheck(RemoteKeys remoteKeys, WorkerExecutor keyFetches) {
    this.remoteKeys = remoteKeys;
    this.keyFetches = keyFetches;
  }

  /** Succeeds at once for an inline key set; else once the provider's set is fetched, or 400 saying why not. */
  public Future<Void> usable(TenantIdentity identity) {
    if (!identity.remote()) {
      return Future.succeededFuture();
    }
    String where = identity.jwksUri() != null ? "identity.jwksUri " + identity.jwksUri()
        : "the discovery document of identity.issuer " + identity.issuer();
    return keyFetches.executeBlocking(() -> remoteKeys.fetchNow(identity.issuer(), identity.jwksUri()), false)
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(Problem.INVALID_REQUEST.with("the identity provider's keys could not be fetched from "
            + where + ": " + RemoteKeys.why(e) + " (nothing was changed; see identity.remoteKeys.* in docs/configuration.md "
            + "for the networks and certificates licensor trusts)")));
  }
}
