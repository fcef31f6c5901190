package io.licensor.identity;

import com.nimbusds.oauth2.sdk.TokenRequest;
import io.licensor.cli.Cli;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.http.MockWebServerWrapper;
import no.nav.security.mock.oauth2.http.Ssl;
import no.nav.security.mock.oauth2.token.KeyProvider;
import no.nav.security.mock.oauth2.token.OAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 21, items 4 and 6: operators whose tokens come from a discovered issuer (a real OpenID
 * Connect provider on loopback over HTTPS: NAV's mock-oauth2-server), and {@code licensor login}
 * getting such a token for a script by the client credentials grant, kept owner-only for the
 * commands after it.
 */
@DisplayName("Operators from a discovered issuer, and licensor login (client credentials)")
class OperatorLoginTest {

  static MockOAuth2Server idp;
  static TestNode node;
  static Path dir;
  static Path trust;
  static Path secretFile;
  static String opsIssuer;

  /** The provider's tokens for the "ops" issuer: the client is the subject; the automation client is an operator. */
  static final class ClientTokens implements OAuth2TokenCallback {
    @Override
    public String issuerId() {
      return "ops";
    }

    @Override
    public String subject(TokenRequest request) {
      return request.getClientAuthentication() != null ? request.getClientAuthentication().getClientID().getValue()
          : request.getClientID().getValue();
    }

    @Override
    public String typeHeader(TokenRequest request) {
      return "JWT";
    }

    @Override
    public List<String> audience(TokenRequest request) {
      return List.of("licensor");
    }

    @Override
    public Map<String, Object> addClaims(TokenRequest request) {
      return "automation".equals(subject(request)) ? Map.of("roles", List.of("operator")) : Map.of("roles", List.of());
    }

    @Override
    public long tokenExpiry() {
      return 600;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    Ssl ssl = new Ssl();
    idp = new MockOAuth2Server(new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(new KeyProvider()),
        Set.of(new ClientTokens()), new MockWebServerWrapper(ssl)));
    idp.start();
    dir = Files.createTempDirectory("licensor-login-");
    trust = dir.resolve("idp-ca.pem");
    Files.writeString(trust, DiscoveredIssuerTest.pem(ssl.getSslKeystore().getKeyStore()));
    secretFile = dir.resolve("client-secret");
    Files.writeString(secretFile, "s3cret-of-the-automation-client\n");
    Files.setPosixFilePermissions(secretFile, PosixFilePermissions.fromString("rw-------"));
    opsIssuer = idp.issuerUrl("ops").toString();
    node = TestNode.start(new JsonObject().put("identity", new JsonObject()
        .put("operatorIssuers", new JsonArray().add(new JsonObject().put("issuer", opsIssuer).put("discovery", true)))
        .put("remoteKeys", new JsonObject()
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
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static Cli cli() {
    return new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port());
  }

  static Cli.Result login(Path tokenFile, String client) {
    return cli().run("login", "--issuer", opsIssuer, "--client-id", client, "--client-secret-file", secretFile.toString(),
        "--idp-cacert", trust.toString(), "--token-file", tokenFile.toString());
  }

  static List<RecordedRequest> requests() {
    List<RecordedRequest> all = new ArrayList<>();
    while (true) {
      try {
        all.add(idp.takeRequest(200, TimeUnit.MILLISECONDS));
      } catch (RuntimeException none) {
        return all;
      }
    }
  }

  @Test
  @DisplayName("login keeps an operator token 0600; later commands use it; the secret went by HTTP Basic, never in the URL or body")
  void loginThenAdminister() throws Exception {
    requests();
    Path tokenFile = dir.resolve("config").resolve("licensor").resolve("token");
    Cli.Result in = login(tokenFile, "automation");
    assertThat(in.exitCode()).as(in.toString()).isZero();
    assertThat(in.err()).contains("logged in as client automation").contains("owner only").contains("valid until");
    assertThat(in.out()).as("no token on standard output unless --print").isEmpty();
    assertThat(Files.getPosixFilePermissions(tokenFile)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(tokenFile.getParent())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    String token = Files.readString(tokenFile).strip();
    assertThat(token.split("\\.")).hasSize(3);
    try (var siblings = Files.list(tokenFile.getParent())) {
      assertThat(siblings.map(p -> p.getFileName().toString()).toList()).containsExactly("token");
    }

    RecordedRequest tokenRequest = requests().stream().filter(r -> r.getPath().endsWith("/ops/token")).findFirst().orElseThrow();
    String basic = new String(Base64.getDecoder().decode(tokenRequest.getHeader("Authorization").substring(6)),
        StandardCharsets.UTF_8);
    assertThat(basic).isEqualTo("automation:s3cret-of-the-automation-client");
    String body = tokenRequest.getBody().readUtf8();
    assertThat(body).contains("grant_type=client_credentials").doesNotContain("s3cret");
    assertThat(tokenRequest.getPath()).doesNotContain("s3cret");

    // the node takes the provider's token as an operator's, its key found by discovery
    assertThat(node.http.get("/v1/cluster", token).status()).isEqualTo(200);
    Path jwks = Files.writeString(dir.resolve("acme-jwks.json"), Issuer.ec("https://idp.test/acme").jwks().encode());
    Cli.Result created = cli().with("LICENSOR_TOKEN_FILE", tokenFile.toString())
        .run("tenant", "create", "acme", "--admin-email", "it@acme.test", "--issuer", "https://idp.test/acme", "--jwks", jwks.toString());
    assertThat(created.exitCode()).as(created.toString()).isZero();
    assertThat(created.out()).contains("created tenant acme");
    // the stored token is also found where it is kept by default, under XDG_CONFIG_HOME
    Cli.Result shown = cli().with("XDG_CONFIG_HOME", dir.resolve("config").toString()).run("tenant", "show", "acme");
    assertThat(shown.exitCode()).as(shown.toString()).isZero();
    assertThat(new JsonObject(shown.out()).getString("id")).isEqualTo("acme");
  }

  @Test
  @DisplayName("the provider's token without the operator role is refused (403); a forged one of that issuer 401; the issuer is no tenant's")
  void onlyOperatorsAreOperators() throws Exception {
    Path tokenFile = dir.resolve("reporting-token");
    Files.writeString(tokenFile, "old");
    Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-r--r--"));
    Cli.Result in = login(tokenFile, "reporting");
    assertThat(in.exitCode()).as(in.toString()).isZero();
    assertThat(Files.getPosixFilePermissions(tokenFile)).as("a readable file it replaced").isEqualTo(
        PosixFilePermissions.fromString("rw-------"));
    String token = Files.readString(tokenFile).strip();
    assertThat(node.http.get("/v1/cluster", token).status()).isEqualTo(403);

    Issuer forger = Issuer.rsa(opsIssuer);
    Http.Response forged = node.http.get("/v1/cluster", forger.token("automation", List.of("operator")));
    assertThat(forged.status()).as(forged.toString()).isEqualTo(401);

    JsonObject takeover = TestNode.tenantRequest("usurper", "EC-P256", Issuer.rsa("https://unused.test"));
    takeover.put("identity", new JsonObject().put("issuer", opsIssuer).put("discovery", true));
    Http.Response refused = node.http.post("/v1/tenants", node.operatorToken(), takeover);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
    assertThat(refused.json().getString("detail")).contains("operator issuer");
  }

  @Test
  @DisplayName("login refuses plain HTTP and secrets on the command line; an expired kept token says to log in again")
  void mistakes() throws Exception {
    Cli.Result plain = cli().run("login", "--token-url", "http://127.0.0.1:1/token", "--client-id", "automation",
        "--client-secret-file", secretFile.toString(), "--token-file", dir.resolve("never").toString());
    assertThat(plain.exitCode()).as(plain.toString()).isEqualTo(2);
    assertThat(plain.err()).contains("https");
    assertThat(dir.resolve("never")).doesNotExist();

    Cli.Result onCommandLine = cli().run("login", "--issuer", opsIssuer, "--client-id", "automation",
        "--client-secret", "s3cret", "--token-file", dir.resolve("never").toString());
    assertThat(onCommandLine.exitCode()).isEqualTo(2);
    Cli.Result noSecret = cli().run("login", "--issuer", opsIssuer, "--client-id", "automation", "--idp-cacert", trust.toString(),
        "--token-file", dir.resolve("never").toString());
    assertThat(noSecret.exitCode()).isEqualTo(2);
    assertThat(noSecret.err()).contains("LICENSOR_CLIENT_SECRET");
    Cli.Result untrusted = cli().run("login", "--issuer", opsIssuer, "--client-id", "automation",
        "--client-secret-file", secretFile.toString(), "--token-file", dir.resolve("never").toString());
    assertThat(untrusted.exitCode()).as(untrusted.toString()).isEqualTo(3);
    assertThat(untrusted.err()).contains("--idp-cacert");
    assertThat(dir.resolve("never")).doesNotExist();

    String expiredPayload = Base64.getUrlEncoder().withoutPadding().encodeToString(
        ("{\"sub\":\"automation\",\"exp\":" + (System.currentTimeMillis() / 1000 - 60) + "}").getBytes(StandardCharsets.UTF_8));
    Path kept = Files.writeString(dir.resolve("expired-token"), "eyJhbGciOiJSUzI1NiJ9." + expiredPayload + ".c2ln");
    Cli.Result expired = cli().with("LICENSOR_TOKEN_FILE", kept.toString()).run("tenant", "show", "acme");
    assertThat(expired.exitCode()).as(expired.toString()).isEqualTo(2);
    assertThat(expired.err()).contains("expired").contains("licensor login");
  }
}
