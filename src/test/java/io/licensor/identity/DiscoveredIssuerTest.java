package io.licensor.identity;

import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.licensor.cli.Cli;
import io.licensor.identity.remote.AllowedNetworks;
import io.licensor.identity.remote.GuardedFetcher;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.http.MockWebServerWrapper;
import no.nav.security.mock.oauth2.http.Ssl;
import no.nav.security.mock.oauth2.token.KeyProvider;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 21, items 1 and 5: a tenant whose identity is an issuer found by OpenID Connect discovery,
 * served by a real OpenID Connect provider on loopback over HTTPS (NAV's mock-oauth2-server: its
 * discovery document, its JWKS endpoint, its tokens), not a hand-made key set. The provider rotates
 * its signing key while users license and no request fails, licensor not restarted; tokens naming
 * unknown kids make licensor fetch the key set no more than its rate allows. (The provider publishes
 * only its current key, so the users here take a token after the rotation as clients do on their
 * next sign-in; a provider that publishes old and new keys side by side, as Entra ID does, is the
 * easier case.)
 */
@DisplayName("A tenant's issuer by OIDC discovery, on a real provider: key rotation and the refresh rate")
class DiscoveredIssuerTest {

  static MockOAuth2Server idp;
  static KeyProvider keys;
  static TestNode node;
  static Path trust;

  @BeforeAll
  static void start() throws Exception {
    Ssl ssl = new Ssl();
    keys = new KeyProvider();
    idp = new MockOAuth2Server(new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(keys),
        Set.of(), new MockWebServerWrapper(ssl)));
    idp.start();
    trust = Files.createTempFile("idp-ca-", ".pem");
    Files.writeString(trust, pem(ssl.getSslKeystore().getKeyStore()));
    node = TestNode.start(new JsonObject().put("identity", new JsonObject().put("remoteKeys", new JsonObject()
        .put("allowedNetworks", new JsonArray().add("127.0.0.1/32").add("::1/128"))
        .put("trustFile", trust.toString()))));
  }

  @AfterAll
  static void stop() throws IOException {
    if (node != null) {
      node.close();
    }
    if (idp != null) {
      idp.shutdown();
    }
    Files.deleteIfExists(trust);
  }

  static String pem(KeyStore store) throws Exception {
    for (String alias : Collections.list(store.aliases())) {
      Certificate cert = store.getCertificate(alias);
      if (cert != null) {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n";
      }
    }
    throw new IllegalStateException("no certificate");
  }

  static void createTenant(String id) {
    JsonObject request = TestNode.tenantRequest(id, "EC-P256", Issuer.rsa("https://unused.test"));
    request.put("identity", new JsonObject().put("issuer", idp.issuerUrl(id).toString()).put("discovery", true)
        .put("claims", new JsonObject().put("principal", "email")));
    Http.Response created = node.http.post("/v1/tenants", node.operatorToken(), request);
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().getJsonObject("identity").getBoolean("discovery")).isTrue();
  }

  /** A fresh token of the provider for {@code email} (each one distinct, so each is verified). */
  static String token(String issuerId, String email) {
    return idp.issueToken(issuerId, UUID.randomUUID().toString(), "licensor", Map.of("email", email), 600L).serialize();
  }

  static int license(String tenant, String token, String user) {
    Http.Response current = node.http.get("/v1/tenants/" + tenant + "/keys/current", token);
    if (current.status() != 200) {
      return current.status();
    }
    JsonObject policy = new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", user).put("rights", new JsonArray().add("VIEW"))));
    String pl = RmsClient.publishOffline(current.json(),
        RmsClient.plPayload("doc-" + UUID.randomUUID(), user, RmsClient.newContentKey(), policy));
    return node.http.post("/v1/tenants/" + tenant + "/licenses", token, new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false)))).status();
  }

  /** The provider's requests so far, by path. */
  static List<String> requests() {
    List<String> paths = new ArrayList<>();
    while (true) {
      try {
        RecordedRequest r = idp.takeRequest(200, TimeUnit.MILLISECONDS);
        paths.add(r.getPath());
      } catch (RuntimeException none) {
        return paths;
      }
    }
  }

  /** The provider rotates: its key for {@code issuerId} replaced by a new one with a new kid. */
  @SuppressWarnings("unchecked")
  static String rotate(String issuerId) throws Exception {
    Field field = KeyProvider.class.getDeclaredField("signingKeys");
    field.setAccessible(true);
    Map<String, Object> signing = (Map<String, Object>) field.get(keys);
    String kid = issuerId + "-" + UUID.randomUUID();
    RSAKey next = new RSAKeyGenerator(2048).keyID(kid).keyUse(KeyUse.SIGNATURE).generate();
    signing.put(issuerId, next);
    return kid;
  }

  @Test
  @DisplayName("users license through the provider's key rotation: no request fails, licensor is not restarted")
  void rotation() throws Exception {
    createTenant("contoso");
    requests();
    int failures = 0;
    int served = 0;
    String newKid = null;
    for (int i = 0; i < 30; i++) {
      if (i == 15) {
        newKid = rotate("contoso");
      }
      String token = token("contoso", "bob@contoso.com");
      if (newKid != null) {
        assertThat(com.nimbusds.jwt.SignedJWT.parse(token).getHeader().getKeyID()).isEqualTo(newKid);
      }
      int status = license("contoso", token, "bob@contoso.com");
      if (status == 200) {
        served++;
      } else {
        failures++;
      }
    }
    assertThat(failures).as("requests refused across the rotation").isZero();
    assertThat(served).isEqualTo(30);
    // the new key reached licensor by a refresh of the key set, on a token naming its kid
    List<String> paths = requests();
    assertThat(paths).anyMatch(p -> p.endsWith("/contoso/jwks"));
    // a token signed with a key the provider never published is refused
    Issuer forger = Issuer.rsa(idp.issuerUrl("contoso").toString());
    assertThat(node.http.get("/v1/tenants/contoso/keys/current", forger.token("bob@contoso.com", List.of())).status())
        .isEqualTo(401);
  }

  @Test
  @DisplayName("licensor tenant create --issuer ... --discovery --principal-claim email: the tenant's users license")
  void fromTheCommandLine() {
    String issuer = idp.issuerUrl("initech").toString();
    Cli.Result created = new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port())
        .with("LICENSOR_TOKEN", node.operatorToken())
        .run("tenant", "create", "initech", "--admin-email", "it@initech.test", "--issuer", issuer, "--discovery",
            "--principal-claim", "email");
    assertThat(created.exitCode()).as(created.toString()).isZero();
    JsonObject identity = node.http.get("/v1/tenants/initech", node.operatorToken()).json().getJsonObject("identity");
    assertThat(identity.getBoolean("discovery")).isTrue();
    assertThat(identity.getJsonObject("claims").getString("principal")).isEqualTo("email");
    assertThat(license("initech", token("initech", "bob@initech.test"), "bob@initech.test")).isEqualTo(200);
  }

  @Test
  @DisplayName("a flood of tokens naming unknown kids fetches the provider's key set at most twice per refresh interval")
  void unknownKidsAreRateLimited() {
    createTenant("fabrikam");
    assertThat(license("fabrikam", token("fabrikam", "bob@fabrikam.com"), "bob@fabrikam.com")).isEqualTo(200);
    requests();
    int refused = 0;
    for (int i = 0; i < 40; i++) {
      // each forger's key has its own kid, unknown to the provider
      Issuer forger = Issuer.rsa(idp.issuerUrl("fabrikam").toString());
      Http.Response r = node.http.get("/v1/tenants/fabrikam/keys/current", forger.token("eve@fabrikam.com", List.of()));
      if (r.status() == 401) {
        refused++;
      }
    }
    assertThat(refused).isEqualTo(40);
    long fetches = requests().stream().filter(p -> p.endsWith("/fabrikam/jwks")).count();
    // identity.remoteKeys.refreshIntervalSeconds is 30: at most two fetches in the window
    assertThat(fetches).as("JWKS fetches caused by 40 unknown kids").isBetween(1L, 2L);
    // the real users are served from the cached set all along
    assertThat(license("fabrikam", token("fabrikam", "bob@fabrikam.com"), "bob@fabrikam.com")).isEqualTo(200);
  }

  @Test
  @DisplayName("an identity whose keys cannot be fetched is refused when registered (400 naming why), and nothing is stored")
  void unusableIdentityIsRefusedAtRegistration() {
    JsonObject request = TestNode.tenantRequest("nowhere", "EC-P256", Issuer.rsa("https://unused.test"));
    // an issuer where no provider listens (a port nothing is bound to)
    String wrongIssuer = "https://127.0.0.1:" + io.licensor.support.ClusterFixture.freePorts(1)[0] + "/realms/nowhere";
    request.put("identity", new JsonObject().put("issuer", wrongIssuer).put("discovery", true));
    Http.Response refused = node.http.post("/v1/tenants", node.operatorToken(), request);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
    assertThat(refused.json().getString("detail")).contains("could not be fetched").contains("discovery document");
    assertThat(node.http.get("/v1/tenants/nowhere", node.operatorToken()).status()).isEqualTo(404);

    // a key-set URL on an address the allow-list does not name (refused before any connection)
    request.put("identity", new JsonObject().put("issuer", "https://idp.test/elsewhere")
        .put("jwksUri", "https://[fd00::1]/elsewhere/jwks"));
    Http.Response blocked = node.http.post("/v1/tenants", node.operatorToken(), request);
    assertThat(blocked.status()).as(blocked.toString()).isEqualTo(400);
    assertThat(blocked.json().getString("detail")).contains("allowedNetworks");

    // and a change to such an identity changes nothing
    createTenant("kept");
    String tag = node.http.get("/v1/tenants/kept", node.operatorToken()).header("ETag").orElseThrow();
    Http.Response change = node.http.send("PATCH", "/v1/tenants/kept", node.operatorToken(), new JsonObject()
        .put("identity", new JsonObject().put("issuer", wrongIssuer).put("discovery", true)).encode(), Map.of("If-Match", tag));
    assertThat(change.status()).as(change.toString()).isEqualTo(400);
    assertThat(node.http.get("/v1/tenants/kept", node.operatorToken()).header("ETag")).contains(tag);
    assertThat(license("kept", token("kept", "bob@kept.test"), "bob@kept.test")).isEqualTo(200);
  }

  @Test
  @DisplayName("key sets are fetched only from allowed addresses over HTTPS: loopback refused unless listed, no plain HTTP")
  void fetchIsGuarded() throws Exception {
    URL jwks = new URL(idp.jwksUrl("guarded").toString());
    GuardedFetcher publicOnly = new GuardedFetcher(AllowedNetworks.of(List.of()), trust, 2000, 65536);
    assertThatThrownBy(() -> publicOnly.fetch(jwks)).hasMessageContaining("does not allow");
    GuardedFetcher loopback = new GuardedFetcher(AllowedNetworks.of(List.of("127.0.0.1/32", "::1/128")), trust, 2000, 65536);
    assertThat(loopback.fetch(jwks).content()).contains("\"keys\"");
    assertThatThrownBy(() -> loopback.fetch(new URL(jwks.toString().replace("https:", "http:"))))
        .hasMessageContaining("only https");
    // the addresses a name could resolve to that are not public are refused by default
    AllowedNetworks defaults = AllowedNetworks.of(List.of());
    for (String address : List.of("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
        // IPv6 outside global unicast, and global forms that carry an IPv4 address inside them
        "::2", "::127.0.0.1", "::10.0.0.1", "64:ff9b::7f00:1", "100::1", "2002:7f00:1::1", "2001:0:7f00:1::1",
        "2001:db8::1", "192.0.2.1", "198.51.100.1", "203.0.113.1")) {
      assertThat(defaults.allows(InetAddress.getByName(address))).as(address).isFalse();
    }
    assertThat(defaults.allows(InetAddress.getByName("93.184.216.34"))).isTrue();
    assertThat(defaults.allows(InetAddress.getByName("2606:2800:220:1::1"))).isTrue();
    // and over HTTP: a tenant's jwksUri must be https
    JsonObject request = TestNode.tenantRequest("plainhttp", "EC-P256", Issuer.rsa("https://unused.test"));
    request.put("identity", new JsonObject().put("issuer", "https://idp.test/plain")
        .put("jwksUri", jwks.toString().replace("https:", "http:")));
    Http.Response refused = node.http.post("/v1/tenants", node.operatorToken(), request);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.json().getString("detail")).contains("https");
  }
}
