package io.licensor.identity;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.ClaimMapping;
import io.licensor.tenants.TenantIdentity;
import io.licensor.tenants.TenantKeys;
import io.licensor.tenants.TenantStore;
import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import io.licensor.identity.remote.RemoteKeys;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.Provider;
import java.text.ParseException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns an {@code Authorization: Bearer} header into a {@link Principal} (SPEC §4). Operator
 * tokens come from the issuers in the configuration; tenant users' tokens from the issuer the
 * tenant registered. A valid token of another tenant gets 403 wrong-tenant; anything not proven
 * gets 401. Verified tokens are remembered so the hot path pays for a signature check once per
 * token, not once per request: until the token expires when its issuer's keys are inline (a
 * tenant's, whose change raises the tenant's revision and so ends the memory at once, or an
 * operator issuer's from the configuration), and for at most a minute when they are fetched from
 * the provider (a key it withdraws then stops its tokens within a minute, as its key set is
 * fetched again).
 */
public final class Authenticator {

  private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);
  /** How long a token verified with fetched keys is remembered (its exp permitting). */
  private static final long FETCHED_KEYS_CACHE_MILLIS = 60_000;
  private static final AtomicLong LAST_OUTAGE_WARNING = new AtomicLong();
  private static final int CACHE_LIMIT = 50_000;

  private final Map<String, OperatorVerifier> operatorVerifiers;
  private final KeyDirectory directory;
  private final TenantStore store;
  private final String audience;
  private final int clockSkewSeconds;
  private final int maxTokenLifetimeSeconds;
  private final Map<String, TenantVerifier> tenantVerifiers = new ConcurrentHashMap<>();
  private final Map<String, Cached> verified = new ConcurrentHashMap<>();
  /** "tenant issuer" → whether another tenant trusts the issuer too (it can only stop being so). */
  private final Map<String, Boolean> sharedIssuer = new ConcurrentHashMap<>();

  /** A tenant's verifier, made for the identity's issuer and key set (rebuilt when they change). */
  private record TenantVerifier(String issuer, JWKSet jwks, String jwksUri, boolean discovery, TokenVerifier verifier) {
    boolean madeFor(TenantIdentity identity) {
      return issuer.equals(identity.issuer()) && Objects.equals(jwks, identity.jwks())
          && Objects.equals(jwksUri, identity.jwksUri()) && discovery == identity.discovery();
    }
  }

  /**
   * A verified token's principal, until when, and the revision of the tenant it was verified for
   * (0 for a request about no tenant): a change to the tenant (its identity, its state) makes the
   * node verify the token again, so a key removed from the tenant's identity stops its tokens
   * from the return of the change, not a minute later.
   */
  private record Cached(Principal principal, long untilMillis, long tenantRevision) {
    boolean holdsFor(long now, Optional<TenantKeys> tenant) {
      return untilMillis > now && (tenantRevision == 0
          ? tenant == null : tenant != null && tenant.isPresent() && tenant.get().revision() == tenantRevision);
    }
  }

  /** An operator issuer's verifier; one whose keys are fetched is called on the key-fetch worker. */
  private record OperatorVerifier(TokenVerifier verifier, boolean remote) {
  }

  private final Provider signatures;
  private final RemoteKeys remoteKeys;
  private final WorkerExecutor keyFetches;

  /**
   * {@code signatures}: the JCA provider that checks tokens' signatures, or null for the JDK's;
   * {@code remoteKeys}: the key sets of providers that publish theirs, whose tokens are verified on
   * {@code keyFetches} (a fetch blocks).
   */
  public Authenticator(Map<String, OperatorIssuer> operatorIssuers, KeyDirectory directory, TenantStore store,
                       String audience, int clockSkewSeconds, int maxTokenLifetimeSeconds, Provider signatures,
                       RemoteKeys remoteKeys, WorkerExecutor keyFetches) {
    this.signatures = signatures;
    this.remoteKeys = remoteKeys;
    this.keyFetches = keyFetches;
    this.directory = directory;
    this.store = store;
    this.audience = audience;
    this.clockSkewSeconds = clockSkewSeconds;
    this.maxTokenLifetimeSeconds = maxTokenLifetimeSeconds;
    Map<String, OperatorVerifier> ops = new ConcurrentHashMap<>();
    operatorIssuers.forEach((iss, op) -> ops.put(iss, new OperatorVerifier(op.remote()
        ? new TokenVerifier(iss, remoteKeys.sourceFor(iss, op.jwksUri()), audience, clockSkewSeconds, maxTokenLifetimeSeconds,
            signatures)
        : new TokenVerifier(iss, op.jwks(), audience, clockSkewSeconds, maxTokenLifetimeSeconds, signatures), op.remote())));
    this.operatorVerifiers = Map.copyOf(ops);
  }

  /**
   * Authenticates the caller of a request about {@code tenantId} (null when the request is not
   * about one tenant, in which case only operators are recognised).
   */
  public Future<Principal> authenticate(String authorization, String tenantId) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Future.failedFuture(unauthenticated("a bearer token is required"));
    }
    String token = authorization.substring(7).trim();
    String cacheKey = tenantId + " " + token;
    Cached cached = verified.get(cacheKey);
    long now = System.currentTimeMillis();
    if (cached != null && cached.holdsFor(now, tenantId == null ? null : directory.cached(tenantId))) {
      return Future.succeededFuture(cached.principal());
    }
    SignedJWT jwt;
    String issuer;
    try {
      JWT parsed = JWTParser.parse(token);
      if (!(parsed instanceof SignedJWT signed)) {
        return Future.failedFuture(unauthenticated("only signed tokens (RS256, PS256, ES256) are accepted"));
      }
      jwt = signed;
      if (!TokenVerifier.ACCEPTED.contains(jwt.getHeader().getAlgorithm())) {
        return Future.failedFuture(unauthenticated("token algorithm " + safe(jwt.getHeader().getAlgorithm())
            + " is not accepted; use RS256, PS256 or ES256"));
      }
      issuer = jwt.getJWTClaimsSet().getIssuer();
    } catch (ParseException e) {
      return Future.failedFuture(unauthenticated("the bearer token is not a well-formed JWT"));
    }
    if (issuer == null || issuer.isEmpty() || issuer.length() > 512 || issuer.chars().anyMatch(Character::isISOControl)) {
      return Future.failedFuture(unauthenticated("the token has no usable issuer"));
    }
    Future<TenantKeys> tenant = tenantId == null
        ? Future.succeededFuture(null)
        : directory.get(tenantId).map(o -> o.orElse(null));
    return tenant.compose(t -> resolve(jwt, issuer, tenantId, t).andThen(ar -> {
      if (ar.succeeded() && (tenantId == null || t != null)) {
        remember(cacheKey, ar.result(), jwt, t == null ? 0 : t.revision(), fetchedKeys(ar.result(), t));
      }
    }));
  }

  private Future<Principal> resolve(SignedJWT jwt, String issuer, String tenantId, TenantKeys tenant) {
    boolean tenantsIssuer = tenant != null && tenant.tenant().identity().issuer().equals(issuer);
    OperatorVerifier operatorVerifier = operatorVerifiers.get(issuer);
    if (operatorVerifier == null) {
      return asTenantUser(jwt, issuer, tenantId, tenant, tenantsIssuer);
    }
    Future<JWTClaimsSet> verified = operatorVerifier.remote()
        ? keyFetches.executeBlocking(() -> operatorVerifier.verifier().verify(jwt), false)
        : verifyInline(operatorVerifier.verifier(), jwt);
    return verified.transform(ar -> {
      if (ar.succeeded()) {
        JWTClaimsSet claims = ar.result();
        if (roles(claims).contains(Principal.OPERATOR_ROLE)) {
          return Future.succeededFuture(new Principal(claims.getSubject(), issuer, null, roles(claims), groups(claims), true));
        }
        if (!tenantsIssuer) {
          return Future.failedFuture(tenantId == null
              ? Problem.FORBIDDEN.with("this operation needs the operator role")
              : wrongTenant());
        }
      } else if (!tenantsIssuer) {
        return Future.failedFuture(operatorVerifier.remote() ? refusal(ar.cause())
            : unauthenticated("the token was not accepted: " + reason(ar.cause() instanceof Exception x ? x : new Exception(ar.cause()))));
      }
      return asTenantUser(jwt, issuer, tenantId, tenant, true);
    });
  }

  private static Future<JWTClaimsSet> verifyInline(TokenVerifier verifier, SignedJWT jwt) {
    try {
      return Future.succeededFuture(verifier.verify(jwt));
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }

  /** The token as a tenant user's: of this tenant's issuer, or proven another tenant's (403), or 401. */
  private Future<Principal> asTenantUser(SignedJWT jwt, String issuer, String tenantId, TenantKeys tenant,
                                         boolean tenantsIssuer) {
    if (tenantsIssuer) {
      return verify(tenant, jwt).recover(e -> Future.failedFuture(refusal(e))).compose(claims -> {
        ClaimMapping mapping = tenant.tenant().identity().claims();
        String user = mapping.principalOf(claims.getClaims());
        if (user == null) {
          return Future.failedFuture(unauthenticated("the token does not carry the claim '" + mapping.principal()
              + "' that names this tenant's users"));
        }
        return bound(claims, tenant).map(v -> new Principal(user, issuer, tenantId, tenantRoles(claims, mapping),
            mapping.groupsOf(claims.getClaims()), false));
      });
    }
    if (tenantId == null) {
      return Future.failedFuture(unauthenticated("the token's issuer is not trusted here"));
    }
    // Not this tenant's issuer: if the token proves to be another tenant's, say so (403); else 401.
    return store.tenantsTrusting(issuer).compose(ids -> tryOtherTenants(jwt, ids, 0));
  }

  /**
   * Whether a token the tenant's issuer signed is this tenant's: with a tenant claim bound, the
   * token must carry it with the bound value; without one, a {@code tid} it carries must name the
   * tenant, and must be there if another tenant trusts the same issuer (a registration from before
   * issuers were checked at registration: new ones cannot share an issuer without tenant claims).
   */
  private Future<Void> bound(JWTClaimsSet claims, TenantKeys tenant) {
    String tenantId = tenant.tenant().id();
    TenantIdentity.TenantClaim binding = tenant.tenant().identity().tenantClaim();
    if (binding != null) {
      Object value = claims.getClaim(binding.name());
      if (value == null) {
        return Future.failedFuture(unauthenticated("the token does not carry the claim '" + binding.name()
            + "' that tokens of this tenant carry"));
      }
      return binding.value().equals(value) ? Future.succeededFuture() : Future.failedFuture(wrongTenant());
    }
    // An issuer of this tenant alone: its tokens are the tenant's, and a tid they carry is the
    // identity provider's own (Entra ID's directory id), not a licensor tenant id.
    String tid = stringClaim(claims, "tid");
    String issuer = tenant.tenant().identity().issuer();
    Boolean shared = sharedIssuer.get(tenantId + " " + issuer);
    Future<Boolean> isShared = shared != null ? Future.succeededFuture(shared)
        : store.tenantsTrusting(issuer).map(ids -> {
          boolean s = ids.stream().anyMatch(id -> !id.equals(tenantId));
          sharedIssuer.put(tenantId + " " + issuer, s);
          return s;
        });
    return isShared.compose(s -> {
      if (!s) {
        return Future.succeededFuture();
      }
      if (tid == null) {
        return Future.failedFuture(unauthenticated("this tenant's issuer is shared with another tenant: the token must carry "
            + "tid naming the tenant (or an operator binds a tenant claim)"));
      }
      return tid.equals(tenantId) ? Future.succeededFuture() : Future.failedFuture(wrongTenant());
    });
  }

  private Future<Principal> tryOtherTenants(SignedJWT jwt, List<String> tenantIds, int index) {
    if (index >= tenantIds.size()) {
      return Future.failedFuture(unauthenticated("the token's issuer is not trusted for this tenant"));
    }
    return directory.get(tenantIds.get(index)).compose(other -> other.isEmpty()
        ? tryOtherTenants(jwt, tenantIds, index + 1)
        // proven to be the other tenant's: 403; not proven to be its either: try the next
        : verify(other.get(), jwt).transform(ar -> ar.succeeded()
            ? Future.failedFuture(wrongTenant())
            : tryOtherTenants(jwt, tenantIds, index + 1)));
  }

  /** The token's claims if it verifies with the tenant's keys: inline here, fetched ones on a worker. */
  private Future<JWTClaimsSet> verify(TenantKeys tenant, SignedJWT jwt) {
    TokenVerifier verifier = verifierOf(tenant);
    if (!tenant.tenant().identity().remote()) {
      return verifyInline(verifier, jwt);
    }
    return keyFetches.executeBlocking(() -> verifier.verify(jwt), false);
  }

  /**
   * Why a token was not accepted: the provider's keys unavailable (nothing fetched, or kept, yet) is
   * 503 identity-unavailable, as it is no fault of the caller's; anything else is 401.
   */
  private static ProblemException refusal(Throwable e) {
    if (e instanceof ProblemException p) {
      return p;
    }
    Throwable unavailable = e;
    while (unavailable != null && !(unavailable instanceof JWKSetUnavailableException)) {
      unavailable = unavailable.getCause();
    }
    if (unavailable != null) {
      long now = System.currentTimeMillis();
      long last = LAST_OUTAGE_WARNING.get();
      if (now - last > 30_000 && LAST_OUTAGE_WARNING.compareAndSet(last, now)) {
        LOG.warn("identity provider keys unavailable (said at most every 30 s): {}", unavailable.getMessage());
      }
      return Problem.IDENTITY_UNAVAILABLE.with("the identity provider's keys cannot be fetched now; try again later")
          .header("Retry-After", "5");
    }
    if (e instanceof RateLimitReachedException) {
      return unauthenticated("no key of the issuer's matches the token's kid (its keys were fetched moments ago)");
    }
    return unauthenticated("the token was not accepted: " + reason(e instanceof Exception x ? x : new Exception(e)));
  }

  private TokenVerifier verifierOf(TenantKeys tenant) {
    String id = tenant.tenant().id();
    TenantIdentity identity = tenant.tenant().identity();
    TenantVerifier current = tenantVerifiers.get(id);
    if (current == null || !current.madeFor(identity)) {
      String issuer = identity.issuer();
      TokenVerifier verifier = identity.remote()
          ? new TokenVerifier(issuer, remoteKeys.sourceFor(issuer, identity.jwksUri()), audience, clockSkewSeconds,
              maxTokenLifetimeSeconds, signatures)
          : new TokenVerifier(issuer, identity.jwks(), audience, clockSkewSeconds, maxTokenLifetimeSeconds, signatures);
      current = new TenantVerifier(issuer, identity.jwks(), identity.jwksUri(), identity.discovery(), verifier);
      tenantVerifiers.put(id, current);
    }
    return current.verifier();
  }

  /** Whether the keys that verified the principal's token were fetched from its provider. */
  private boolean fetchedKeys(Principal principal, TenantKeys tenant) {
    if (principal.operator()) {
      OperatorVerifier op = operatorVerifiers.get(principal.issuer());
      return op == null || op.remote();
    }
    return tenant == null || tenant.tenant().identity().remote();
  }

  /**
   * Remembers a verified token until it expires, within the longest lifetime a token may have
   * here, or for {@link #FETCHED_KEYS_CACHE_MILLIS} at most when its keys were fetched.
   */
  private void remember(String key, Principal principal, SignedJWT jwt, long tenantRevision, boolean fetchedKeys) {
    long until = System.currentTimeMillis()
        + (fetchedKeys ? FETCHED_KEYS_CACHE_MILLIS : Math.max(FETCHED_KEYS_CACHE_MILLIS, maxTokenLifetimeSeconds * 1000L));
    try {
      if (jwt.getJWTClaimsSet().getExpirationTime() != null) {
        until = Math.min(until, jwt.getJWTClaimsSet().getExpirationTime().getTime());
      }
    } catch (ParseException e) {
      return;
    }
    if (verified.size() >= CACHE_LIMIT) {
      long now = System.currentTimeMillis();
      verified.values().removeIf(c -> c.untilMillis() <= now);
      if (verified.size() >= CACHE_LIMIT) {
        verified.clear();
      }
    }
    verified.put(key, new Cached(principal, until, tenantRevision));
  }

  private static Set<String> roles(JWTClaimsSet claims) {
    return stringsClaim(claims, "roles");
  }

  /**
   * A tenant user's roles: the token's {@code roles}, where {@code tenant-admin} is what the tenant's
   * admin claim says, not what a {@code roles} claim says (unless that is the admin claim).
   */
  private static Set<String> tenantRoles(JWTClaimsSet claims, ClaimMapping mapping) {
    Set<String> roles = new LinkedHashSet<>(roles(claims));
    roles.remove(Principal.TENANT_ADMIN_ROLE);
    if (mapping.isAdmin(claims.getClaims())) {
      roles.add(Principal.TENANT_ADMIN_ROLE);
    }
    return Set.copyOf(roles);
  }

  private static Set<String> groups(JWTClaimsSet claims) {
    return stringsClaim(claims, "groups");
  }

  private static Set<String> stringsClaim(JWTClaimsSet claims, String name) {
    return ClaimMapping.strings(claims.getClaim(name));
  }

  private static String stringClaim(JWTClaimsSet claims, String name) {
    Object value = claims.getClaim(name);
    return value instanceof String s ? s : null;
  }

  private static String reason(Exception e) {
    String message = Optional.ofNullable(e.getMessage()).orElse("invalid token");
    if (message.contains("Expired JWT")) {
      return "the token has expired";
    }
    if (message.contains("before use time")) {
      return "the token is not valid yet";
    }
    if (message.contains("audience")) {
      return "the token's audience is not licensor";
    }
    if (message.contains("Signed JWT rejected") || message.contains("signature")) {
      return "the signature does not verify with the issuer's keys";
    }
    return "invalid token claims";
  }

  private static String safe(JWSAlgorithm alg) {
    return alg == null ? "(none)" : alg.getName().replaceAll("[^A-Za-z0-9+-]", "");
  }

  private static ProblemException unauthenticated(String detail) {
    return Problem.UNAUTHENTICATED.with(detail).header("WWW-Authenticate", "Bearer realm=\"licensor\"");
  }

  private static ProblemException wrongTenant() {
    return Problem.WRONG_TENANT.with("the token belongs to another tenant");
  }
}
