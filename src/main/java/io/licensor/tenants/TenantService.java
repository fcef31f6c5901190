package io.licensor.tenants;

import io.licensor.ids.TenantId;
import io.licensor.ids.Kid;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.hsm.GeneratedKey;
import io.licensor.hsm.HsmClient;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.keys.KeyOrigin;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.licensor.keys.PublicJwks;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.text.ParseException;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * Creating tenants: checks the request, has the HSM generate the first key version, and stores
 * tenant and version in one transaction. Nothing is stored when any step fails.
 */
public final class TenantService {

  private static final Pattern EMAIL = Pattern.compile("^[^@\\s]{1,64}@[^@\\s]{1,253}\\.[^@\\s.]{1,63}$");

  private final TenantStore store;
  private final KeyDirectory directory;
  private final HsmClient hsm;
  private final AuditLog audit;
  private final io.licensor.byok.ByokService byok;
  private final io.licensor.cryptopolicy.CryptoPolicyStore policies;

  public TenantService(TenantStore store, KeyDirectory directory, HsmClient hsm, AuditLog audit,
                       io.licensor.byok.ByokService byok, io.licensor.cryptopolicy.CryptoPolicyStore policies) {
    this.byok = byok;
    this.policies = policies;
    this.store = store;
    this.directory = directory;
    this.hsm = hsm;
    this.audit = audit;
  }

  /** A checked request to create a tenant. */
  record NewTenant(String id, String displayName, String adminEmail, TenantIdentity identity, KeyRequest key) {
    KeyOrigin origin() {
      return key.origin();
    }

    KeyAlgorithm algorithm() {
      return key.algorithm();
    }
  }

  public Future<TenantKeys> create(String by, JsonObject body, String requestId) {
    NewTenant request;
    try {
      request = parse(body);
    } catch (ProblemException e) {
      return Future.failedFuture(e);
    }
    Tenant tenant = new Tenant(request.id(), request.displayName(), request.adminEmail(), request.identity(),
        TenantState.ACTIVE, Instant.now());
    return store.exists(request.id())
        .compose(exists -> exists
            ? Future.failedFuture(Problem.TENANT_EXISTS.with("tenant '" + request.id() + "' already exists"))
            : store.issuerAvailable(tenant))
        .compose(v -> request.key().make(request.id(), hsm, byok, policies))
        .compose(generated -> {
          KeyVersion first = firstVersion(request, generated);
          return store.insert(tenant, first);
        })
        .recover(err -> Future.failedFuture(err instanceof TenantStore.DuplicateTenantException
            ? Problem.TENANT_EXISTS.with("tenant '" + request.id() + "' already exists") : err))
        .compose(v -> directory.refresh(request.id()))
        .map(t -> t.orElseThrow(() -> new IllegalStateException("tenant vanished after creation")))
        .compose(t -> audit.record(AuditEvent.now(t.tenant().id(), Kid.of(t.tenant().id(), 1), by, "tenant.create",
            "ok", audit.node(), requestId, new JsonObject().put("algorithm", request.algorithm().wireName())
                .put("origin", request.origin().wireName()).encode())).map(x -> t));
  }

  private static KeyVersion firstVersion(NewTenant request, GeneratedKey generated) {
    String kid = Kid.of(request.id(), 1);
    return new KeyVersion(request.id(), 1, KeyVersionState.ACTIVE, request.algorithm(), request.origin(),
        PublicJwks.of(generated.publicKey(), kid), generated.token(), Instant.now());
  }

  static NewTenant parse(JsonObject body) {
    String id = requireString(body, "id", 63);
    if (!TenantId.isValid(id)) {
      throw invalid("id must match " + TenantId.FORM);
    }
    String displayName = requireString(body, "displayName", 200);
    String adminEmail = requireString(body, "adminEmail", 320);
    if (!EMAIL.matcher(adminEmail).matches()) {
      throw invalid("adminEmail must be an e-mail address");
    }
    TenantIdentity identity = parseIdentity(body.getValue("identity"));
    KeyRequest key = KeyRequest.parse(body.getValue("key"), "key");
    return new NewTenant(id, displayName, adminEmail, identity, key);
  }

  /** A tenant identity from its JSON form (as in a backup package); 400 invalid-request if malformed. */
  public static TenantIdentity identityOf(Object value) {
    return parseIdentity(value);
  }

  static TenantIdentity parseIdentity(Object value) {
    if (!(value instanceof JsonObject identity)) {
      throw invalid("identity must be an object {issuer, jwks}");
    }
    String issuer = requireString(identity, "issuer", 512);
    if (!(identity.getValue("jwks") instanceof JsonObject jwksJson)) {
      throw invalid("identity.jwks must be a JWK Set object {\"keys\":[...]}");
    }
    JWKSet jwks;
    if (jwksJson.encode().contains("\\u0000")) {
      throw invalid("identity.jwks may not contain NUL characters");
    }
    try {
      jwks = JWKSet.parse(jwksJson.encode());
    } catch (ParseException e) {
      throw invalid("identity.jwks is not a valid JWK Set");
    }
    if (jwks.getKeys().isEmpty() || jwks.getKeys().size() > 50) {
      throw invalid("identity.jwks must hold between 1 and 50 keys");
    }
    for (JWK k : jwks.getKeys()) {
      if (k.isPrivate()) {
        throw invalid("identity.jwks must hold public keys only");
      }
    }
    return new TenantIdentity(issuer, jwks, parseTenantClaim(identity.getValue("tenantClaim")));
  }

  private static TenantIdentity.TenantClaim parseTenantClaim(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject claim)) {
      throw invalid("identity.tenantClaim must be an object {name, value}");
    }
    String name = requireString(claim, "name", 100);
    if (RESERVED_CLAIMS.contains(name)) {
      throw invalid("identity.tenantClaim.name may not be a registered JWT claim (" + name + ")");
    }
    return new TenantIdentity.TenantClaim(name, requireString(claim, "value", 512));
  }

  /** Claims whose value every token of an issuer has, or that the token's verification already checks. */
  private static final java.util.Set<String> RESERVED_CLAIMS = java.util.Set.of("iss", "aud", "exp", "nbf", "iat", "jti");

  private static String requireString(JsonObject json, String name, int maxLength) {
    Object v = json.getValue(name);
    if (!(v instanceof String s) || s.isBlank()) {
      throw invalid(name + " is required (a non-empty string)");
    }
    if (s.length() > maxLength) {
      throw invalid(name + " may have at most " + maxLength + " characters");
    }
    if (s.chars().anyMatch(Character::isISOControl)) {
      throw invalid(name + " may not contain control characters");
    }
    return s;
  }

  private static ProblemException invalid(String detail) {
    return Problem.INVALID_REQUEST.with(detail);
  }
}
