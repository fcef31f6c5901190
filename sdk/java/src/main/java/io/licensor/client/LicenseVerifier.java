package io.licensor.client;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.JSONObjectUtils;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies use licenses as docs/formats.md says a strict client does: the signing key is one the
 * tenant lists in {@code jwks.json} (fetched from the configured server, never taken from the
 * license), a delegated key ({@code tenant:version.n}) only with its listed certificate, issued for
 * that key and signed by the listed key of its version, valid over the license's lifetime; then the
 * claims: issuer, content, the client's own key ({@code cnf.jkt}) and time.
 */
final class LicenseVerifier {

  static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
  /** A set is fetched again for an unknown kid at most this often (a delegated key is listed before it signs). */
  private static final Duration REFETCH_AT_MOST_EVERY = Duration.ofSeconds(1);

  private record Keys(JWKSet set, Instant fetchedAt, Instant freshUntil) {
  }

  private final Transport transport;
  private final Clock clock;
  private final Map<String, Keys> jwks = new ConcurrentHashMap<>();

  LicenseVerifier(Transport transport, Clock clock) {
    this.transport = transport;
    this.clock = clock;
  }

  /** The tenant's published keys, cached for the set's {@code max-age}. */
  JWKSet keys(String tenant, boolean refresh) {
    Keys kept = jwks.get(tenant);
    Instant now = clock.instant();
    if (kept != null && !refresh && now.isBefore(kept.freshUntil())) {
      return kept.set();
    }
    if (kept != null && refresh && now.isBefore(kept.fetchedAt().plus(REFETCH_AT_MOST_EVERY))) {
      return kept.set();
    }
    Transport.Answer answer = transport.send("GET", Transport.tenantPath(tenant) + "/jwks.json", null, false);
    JWKSet set;
    try {
      set = JWKSet.parse(answer.body());
    } catch (ParseException e) {
      throw new LicensorException.LicenseRejectedException("the tenant's jwks.json is not a JWK Set");
    }
    long maxAge = Transport.maxAge(answer.header("Cache-Control"));
    jwks.put(tenant, new Keys(set, now, now.plusSeconds(maxAge)));
    return set;
  }

  UseLicense verify(String compact, String tenant, String contentId, ECKey clientKey) {
    JWSObject jws;
    try {
      jws = JWSObject.parse(compact);
    } catch (ParseException e) {
      throw rejected("the server's use license is not a JWS");
    }
    String kid = jws.getHeader().getKeyID();
    if (kid == null || !kid.startsWith(tenant + ":")) {
      throw rejected("the use license names key " + kid + ", not a key of " + tenant);
    }
    JWK key = keys(tenant, false).getKeyByKeyId(kid);
    if (key == null) {
      key = keys(tenant, true).getKeyByKeyId(kid);
    }
    if (key == null) {
      throw rejected("the use license names key " + kid + ", which " + tenant + " does not publish");
    }
    int dot = kid.indexOf('.', tenant.length() + 1);
    String versionKid = dot < 0 ? kid : kid.substring(0, dot);
    Map<String, Object> claims = jws.getPayload().toJSONObject();
    if (claims == null) {
      throw rejected("the use license's payload is not a JSON object");
    }
    Instant issuedAt = Instant.ofEpochSecond(number(claims, "iat"));
    Instant expiresAt = Instant.ofEpochSecond(number(claims, "exp"));
    if (dot >= 0) {
      certified(jws, key, keys(tenant, false).getKeyByKeyId(versionKid), kid, versionKid, issuedAt, expiresAt);
    }
    JWSAlgorithm alg = jws.getHeader().getAlgorithm();
    try {
      JWSVerifier verifier;
      if (JWSAlgorithm.PS256.equals(alg) && key.getKeyType() == KeyType.RSA) {
        verifier = new RSASSAVerifier(key.toRSAKey());
      } else if ((JWSAlgorithm.ES256.equals(alg) || JWSAlgorithm.ES384.equals(alg)) && key.getKeyType() == KeyType.EC) {
        verifier = new ECDSAVerifier(key.toECKey());
      } else {
        throw rejected("the use license uses " + alg + " with a " + key.getKeyType() + " key, which this client does not accept");
      }
      if (!jws.verify(verifier)) {
        throw rejected("the use license's signature does not verify with " + kid);
      }
    } catch (JOSEException e) {
      throw rejected("the use license's signature does not verify with " + kid + ": " + e.getMessage());
    }
    Object cnf = claims.get("cnf");
    String jkt = cnf instanceof Map<?, ?> m && m.get("jkt") instanceof String s ? s : null;
    String thumbprint;
    try {
      thumbprint = clientKey.computeThumbprint().toString();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    if (!("licensor:" + tenant).equals(claims.get("iss")) || !contentId.equals(claims.get("contentId"))
        || !thumbprint.equals(jkt)) {
      throw rejected("the use license is not for this tenant, content and client");
    }
    Instant now = clock.instant();
    long nbf = claims.containsKey("nbf") ? number(claims, "nbf") : issuedAt.getEpochSecond();
    if (expiresAt.plus(CLOCK_SKEW).isBefore(now) || Instant.ofEpochSecond(nbf).minus(CLOCK_SKEW).isAfter(now)) {
      throw rejected("the use license is not valid now (check this machine's clock)");
    }
    Set<Right> rights = EnumSet.noneOf(Right.class);
    Object listed = claims.get("rights");
    if (listed instanceof List<?> list) {
      for (Object r : list) {
        try {
          rights.add(Right.parse(String.valueOf(r)));
        } catch (IllegalArgumentException e) {
          // a right this client does not know gives nothing here
        }
      }
    }
    long offline = claims.get("offlineAccessSeconds") instanceof Number n ? n.longValue()
        : Math.max(0, expiresAt.getEpochSecond() - issuedAt.getEpochSecond());
    Object subject = claims.get("sub");
    return new UseLicense(compact, kid, versionKid, tenant, subject == null ? null : subject.toString(), contentId, rights,
        issuedAt, expiresAt, offline);
  }

  /** The delegated key's certificate: listed with it, for it, signed by its version's listed key, valid over the license. */
  private static void certified(JWSObject jws, JWK key, JWK versionKey, String kid, String versionKid, Instant issuedAt,
      Instant expiresAt) {
    List<Base64> listed = key.getX509CertChain();
    List<Base64> sent = jws.getHeader().getX509CertChain();
    if (listed == null || listed.isEmpty()) {
      throw rejected("delegated key " + kid + " is listed without its certificate");
    }
    if (sent != null && (sent.isEmpty() || !sent.get(0).equals(listed.get(0)))) {
      throw rejected("the use license's x5c is not the certificate " + kid + " is listed with");
    }
    if (versionKey == null) {
      throw rejected("delegated key " + kid + " belongs to key version " + versionKid + ", which is not published");
    }
    try {
      X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(listed.get(0).decode()));
      PublicKey certified = cert.getPublicKey();
      PublicKey delegated = key.toECKey().toPublicKey();
      if (!java.util.Arrays.equals(certified.getEncoded(), delegated.getEncoded())) {
        throw rejected("delegated key " + kid + "'s certificate is for another key");
      }
      PublicKey issuer = versionKey.getKeyType() == KeyType.RSA ? versionKey.toRSAKey().toPublicKey()
          : versionKey.toECKey().toPublicKey();
      cert.verify(issuer);
      if (!cn(cert.getSubjectX500Principal().getName()).equals(kid)
          || !cn(cert.getIssuerX500Principal().getName()).equals(versionKid)) {
        throw rejected("delegated key " + kid + "'s certificate names another key or issuer");
      }
      cert.checkValidity(Date.from(issuedAt));
      if (expiresAt.isAfter(cert.getNotAfter().toInstant())) {
        throw rejected("the use license outlives its delegated key's certificate");
      }
    } catch (GeneralSecurityException | JOSEException e) {
      throw rejected("delegated key " + kid + "'s certificate does not verify with " + versionKid + ": " + e.getMessage());
    }
  }

  /** The CN of an RFC 2253 name ({@code CN=contoso:3.17,O=licensor}). */
  private static String cn(String rfc2253) {
    try {
      for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(rfc2253).getRdns()) {
        if ("CN".equalsIgnoreCase(rdn.getType())) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (javax.naming.InvalidNameException e) {
      return "";
    }
    return "";
  }

  private static long number(Map<String, Object> claims, String name) {
    try {
      return JSONObjectUtils.getLong(claims, name);
    } catch (ParseException e) {
      throw rejected("the use license's " + name + " is not a number");
    }
  }

  private static LicensorException.LicenseRejectedException rejected(String message) {
    return new LicensorException.LicenseRejectedException(message);
  }
}
