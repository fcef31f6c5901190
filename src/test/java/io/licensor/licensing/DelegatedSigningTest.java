package io.licensor.licensing;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.RmsClient;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.licensor.support.TestTime;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Delegated use-license signing (SPEC §3) through the public API, checked by an independent JOSE
 * implementation (jose4j) and the JDK's X.509: a use license signed by a short-lived EC P-256 key
 * verifies offline from jwks.json and the certificate chain alone; the keys rotate, and are gone
 * from jwks.json with their version (destroyed, cancelled, re-keyed after a compromise).
 */
@DisplayName("Delegated use-license signing keys")
class DelegatedSigningTest {

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(new JsonObject().put("licensing", new JsonObject().put("signingKeyLifetimeSeconds", 12)));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      List<String> warnings = node.eventLoopWarnings();
      node.close();
      assertThat(warnings).as("event loops never blocked").isEmpty();
    }
  }

  record Licensed(String useLicense, JsonObject header, PublicJsonWebKey recipient) {
    String kid() {
      return header.getString("kid");
    }
  }

  static JsonObject header(String compact) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(compact.substring(0, compact.indexOf('.')))));
  }

  static Licensed license(String tenant, Issuer idp, String pl) {
    PublicJsonWebKey recipient = RmsClient.recipientKey(false);
    Http.Response r = node.http.post("/v1/tenants/" + tenant + "/licenses", idp.token("bob@" + tenant + ".test", List.of()),
        new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(recipient)));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    String ul = r.json().getString("useLicense");
    return new Licensed(ul, header(ul), recipient);
  }

  /** Licenses until a delegated key of {@code versionKid} signs (the first licenses of a version are signed by the version's key). */
  static Licensed licenseUntilDelegated(String tenant, Issuer idp, String pl, String versionKid, Set<String> notThese)
      throws InterruptedException {
    long deadline = System.nanoTime() + TestTime.scaled(java.time.Duration.ofSeconds(30)).toNanos();
    Licensed l = license(tenant, idp, pl);
    while (!(l.kid().startsWith(versionKid + ".") && !notThese.contains(l.kid())) && System.nanoTime() < deadline) {
      assertThat(l.kid()).as("signed by the version or one of its delegated keys").startsWith(versionKid);
      Thread.sleep(200);
      l = license(tenant, idp, pl);
    }
    assertThat(l.kid()).as("a delegated key of " + versionKid + " signs").startsWith(versionKid + ".");
    assertThat(notThese).doesNotContain(l.kid());
    return l;
  }

  static JsonObject jwks(String tenant) {
    Http.Response r = node.http.get("/v1/tenants/" + tenant + "/jwks.json", null);
    assertThat(r.status()).isEqualTo(200);
    return r.json();
  }

  static List<String> kids(JsonObject jwks) {
    return jwks.getJsonArray("keys").stream().map(k -> ((JsonObject) k).getString("kid")).toList();
  }

  static X509Certificate certificate(String x5c) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(x5c)));
  }

  static String commonName(javax.security.auth.x500.X500Principal name) throws Exception {
    for (Rdn rdn : new LdapName(name.getName()).getRdns()) {
      if (rdn.getType().equalsIgnoreCase("CN")) {
        return rdn.getValue().toString();
      }
    }
    return null;
  }

  /**
   * What an offline client does: jose4j verifies the UL with the JWK jwks.json lists for its kid;
   * the JDK checks that the x5c certificate is the version's (signed by the version key jwks.json
   * lists, issued to that kid, for signatures only, valid through the license's expiry).
   */
  static JwtClaims verifyOffline(String tenant, Licensed l, JsonObject jwks) throws Exception {
    JwtClaims claims = RmsClient.verifyUseLicense(l.useLicense(), jwks, tenant);
    String kid = l.kid();
    String versionKid = kid.substring(0, kid.lastIndexOf('.'));
    JsonWebKeySet set = new JsonWebKeySet(jwks.encode());
    PublicJsonWebKey delegated = (PublicJsonWebKey) set.findJsonWebKey(kid, null, null, null);
    PublicJsonWebKey version = (PublicJsonWebKey) set.findJsonWebKey(versionKid, null, null, null);
    assertThat(delegated).as("jwks.json lists " + kid).isNotNull();
    assertThat(version).as("jwks.json lists " + versionKid).isNotNull();
    JsonArray x5c = l.header().getJsonArray("x5c");
    assertThat(x5c).hasSize(1);
    assertThat(new JsonObject(delegated.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY)).getJsonArray("x5c"))
        .isEqualTo(x5c);
    X509Certificate certificate = certificate(x5c.getString(0));
    certificate.verify(version.getPublicKey());
    assertThat(commonName(certificate.getSubjectX500Principal())).isEqualTo(kid);
    assertThat(commonName(certificate.getIssuerX500Principal())).isEqualTo(versionKid);
    assertThat(certificate.getPublicKey()).isEqualTo(delegated.getPublicKey());
    assertThat(certificate.getBasicConstraints()).as("not a CA").isEqualTo(-1);
    assertThat(certificate.getKeyUsage()[0]).as("digitalSignature").isTrue();
    assertThat(certificate.getKeyUsage()[5]).as("no keyCertSign").isFalse();
    certificate.checkValidity(new Date(claims.getIssuedAt().getValueInMillis()));
    certificate.checkValidity(new Date(claims.getExpirationTime().getValueInMillis()));
    return claims;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"RSA-2048", "EC-P256", "EC-P384"})
  @DisplayName("a delegated use license verifies offline from jwks.json and its certificate alone, and opens")
  void verifiesOffline(String algorithm) throws Exception {
    String tenant = "dlg-" + algorithm.toLowerCase(Locale.ROOT);
    Issuer idp = node.createTenant(tenant, algorithm);
    byte[] contentKey = RmsClient.newContentKey();
    Http.Response published = node.http.post("/v1/tenants/" + tenant + "/publishing-licenses",
        idp.token("alice@" + tenant + ".test", List.of()), new JsonObject().put("contentId", "doc").put("policy",
            Licensing.EVERYONE_VIEWS).put("contentKey", RmsClient.b64(contentKey)));
    assertThat(published.status()).isEqualTo(201);
    Licensed l = licenseUntilDelegated(tenant, idp, published.json().getString("publishingLicense"), tenant + ":1", Set.of());
    assertThat(l.header().getString("alg")).isEqualTo("ES256");
    assertThat(l.header().getString("typ")).isEqualTo("licensor-ul+jwt");
    JwtClaims claims = verifyOffline(tenant, l, jwks(tenant));
    assertThat(claims.getSubject()).isEqualTo("bob@" + tenant + ".test");
    assertThat(RmsClient.openContentKey(claims.getStringClaimValue("contentKey"), l.recipient())).isEqualTo(contentKey);
    // the certificate is the version's: a key of another tenant does not verify it
    Issuer other = node.createTenant(tenant + "-x", algorithm);
    PublicJsonWebKey stranger = (PublicJsonWebKey) new JsonWebKeySet(jwks(tenant + "-x").encode()).getJsonWebKeys().get(0);
    assertThat(other).isNotNull();
    assertThatThrownBy(() -> certificate(l.header().getJsonArray("x5c").getString(0)).verify(stranger.getPublicKey()))
        .isInstanceOf(java.security.GeneralSecurityException.class);
  }

  @Test
  @DisplayName("the keys rotate on schedule; a retired key stays listed while the licenses it signed are valid")
  void rotates() throws Exception {
    String tenant = "dlg-rotate";
    Issuer idp = node.createTenant(tenant, "RSA-2048");
    String pl = Licensing.publishOk(node.http, tenant, idp, "doc");
    Licensed first = licenseUntilDelegated(tenant, idp, pl, tenant + ":1", Set.of());
    // signingKeyLifetimeSeconds = 12: another key signs within about that long
    Licensed second = licenseUntilDelegated(tenant, idp, pl, tenant + ":1", Set.of(first.kid()));
    assertThat(Long.parseLong(second.kid().substring(second.kid().lastIndexOf('.') + 1)))
        .isGreaterThan(Long.parseLong(first.kid().substring(first.kid().lastIndexOf('.') + 1)));
    JsonObject jwks = jwks(tenant);
    assertThat(kids(jwks)).contains(first.kid(), second.kid());
    verifyOffline(tenant, first, jwks);
    verifyOffline(tenant, second, jwks);
  }

  @Test
  @DisplayName("delegated keys are gone with their version: destroyed, cancelled, re-keyed after a compromise")
  void goneWithTheirVersion() throws Exception {
    String tenant = "dlg-gone";
    Issuer idp = node.createTenant(tenant, "RSA-2048");
    String op = node.operatorToken();
    String v1 = Licensing.publishOk(node.http, tenant, idp, "one");
    Licensed one = licenseUntilDelegated(tenant, idp, v1, tenant + ":1", Set.of());

    // a plain re-key: version 1 is retained, and the licenses its delegated key signed still verify
    assertThat(node.http.post("/v1/tenants/" + tenant + "/keys/rekey", op,
        new JsonObject().put("origin", "service").put("algorithm", "RSA-2048")).status()).isEqualTo(201);
    verifyOffline(tenant, one, jwks(tenant));
    // version 1 is destroyed: its delegated keys leave jwks.json, and what they signed no longer verifies
    assertThat(node.http.delete("/v1/tenants/" + tenant + "/keys/1?reason=customer+request", op).status()).isEqualTo(204);
    assertThat(kids(jwks(tenant))).noneMatch(k -> k.startsWith(tenant + ":1"));
    assertThatThrownBy(() -> RmsClient.verifyUseLicense(one.useLicense(), jwks(tenant), tenant)).isNotNull();
    assertThat(TestDatabase.count(node.databaseUrl,
        "SELECT count(*) FROM signing_keys WHERE tenant_id = '" + tenant + "' AND version = 1")).isZero();

    // cancelled: every delegated key of the tenant leaves jwks.json
    String v2 = Licensing.publishOk(node.http, tenant, idp, "two");
    Licensed two = licenseUntilDelegated(tenant, idp, v2, tenant + ":2", Set.of());
    assertThat(kids(jwks(tenant))).contains(two.kid());
    assertThat(node.http.post("/v1/tenants/" + tenant + "/cancel", op, new JsonObject()).status()).isEqualTo(200);
    assertThat(kids(jwks(tenant))).allMatch(k -> !k.contains("."));
    assertThatThrownBy(() -> RmsClient.verifyUseLicense(two.useLicense(), jwks(tenant), tenant)).isNotNull();
    assertThat(TestDatabase.count(node.databaseUrl,
        "SELECT count(*) FROM signing_keys WHERE tenant_id = '" + tenant + "'")).isZero();
    // reactivated: a new delegated key, never the cancelled one
    assertThat(node.http.post("/v1/tenants/" + tenant + "/reactivate", op, new JsonObject()).status()).isEqualTo(200);
    Licensed again = licenseUntilDelegated(tenant, idp, v2, tenant + ":2", Set.of(two.kid()));
    verifyOffline(tenant, again, jwks(tenant));

    // a key-compromised incident's re-key campaign revokes the tenant's delegated keys
    Http.Response declared = node.http.post("/v1/incidents", op, new JsonObject().put("type", "key-compromised")
        .put("scope", new JsonObject().put("tenants", new JsonArray().add(tenant)))
        .put("summary", "a node's memory was read"));
    assertThat(declared.status()).as(declared.toString()).isEqualTo(201);
    long deadline = System.nanoTime() + TestTime.scaled(java.time.Duration.ofSeconds(30)).toNanos();
    while (!Licensing.currentKid(node.http, tenant, idp).equals(tenant + ":3") && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(Licensing.currentKid(node.http, tenant, idp)).isEqualTo(tenant + ":3");
    assertThat(kids(jwks(tenant))).doesNotContain(again.kid());
    assertThatThrownBy(() -> RmsClient.verifyUseLicense(again.useLicense(), jwks(tenant), tenant)).isNotNull();
    // and the retained version's content still licenses, under a new delegated key
    Set<String> seen = new HashSet<>(Set.of(two.kid(), again.kid()));
    verifyOffline(tenant, licenseUntilDelegated(tenant, idp, v2, tenant + ":2", seen), jwks(tenant));
  }
}
