package io.licensor.byok;

import io.licensor.Main;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.Secrets;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * BYOK through the HTTP API: keys made and wrapped by OpenSSL's command line (an independent
 * tool), and by {@code licensor byok wrap}; every import error is a distinct problem and stores nothing.
 */
@DisplayName("Bring your own key")
class ByokImportTest {

  static TestNode node;
  @TempDir
  static Path dir;

  @BeforeAll
  static void start() {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static String openssl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
    return out;
  }

  static JsonObject kek(String tenant, String token) throws IOException {
    Http.Response r = node.http.post("/v1/tenants/" + tenant + "/byok/kek", token, "");
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    assertThat(r.json().getString("algorithm")).isEqualTo("RSA-4096");
    Files.writeString(dir.resolve(tenant + "-kek.pem"), r.json().getString("publicKeyPem"));
    return r.json();
  }

  /** OpenSSL does the customer's side: genpkey, pkcs8, rand, pkeyutl OAEP, enc -id-aes256-wrap-pad. */
  static JsonObject wrapWithOpenssl(String name, String tenant, JsonObject kek, List<String> genpkeyArgs, String oaepMd,
                                    boolean announceMd) throws Exception {
    List<String> gen = new ArrayList<>(List.of("genpkey"));
    gen.addAll(genpkeyArgs);
    gen.addAll(List.of("-out", name + ".pem"));
    openssl(gen.toArray(new String[0]));
    openssl("pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in", name + ".pem", "-out", name + ".der");
    openssl("rand", "-out", name + ".aes", "32");
    String md = oaepMd.equals("SHA-256") ? "sha256" : "sha1";
    openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", tenant + "-kek.pem", "-in", name + ".aes", "-out", name + ".aes.wrapped",
        "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:" + md, "-pkeyopt", "rsa_mgf1_md:" + md);
    String aesHex = HexFormat.of().formatHex(Files.readAllBytes(dir.resolve(name + ".aes")));
    openssl("enc", "-id-aes256-wrap-pad", "-K", aesHex, "-iv", "A65959A6", "-in", name + ".der", "-out", name + ".key.wrapped");
    byte[] a = Files.readAllBytes(dir.resolve(name + ".aes.wrapped"));
    byte[] b = Files.readAllBytes(dir.resolve(name + ".key.wrapped"));
    byte[] ciphertext = new byte[a.length + b.length];
    System.arraycopy(a, 0, ciphertext, 0, a.length);
    System.arraycopy(b, 0, ciphertext, a.length, b.length);
    JsonObject header = new JsonObject().put("kid", kek.getString("kid")).put("alg", "dir").put("enc", "CKM_RSA_AES_KEY_WRAP");
    if (announceMd) {
      header.put("oaep_hash", oaepMd);
    }
    return new JsonObject().put("schema_version", "1.0.0").put("header", header)
        .put("ciphertext", Base64.getUrlEncoder().withoutPadding().encodeToString(ciphertext)).put("generator", "openssl");
  }

  static byte[] opensslPublicDer(String name) throws Exception {
    openssl("pkey", "-in", name + ".pem", "-pubout", "-outform", "DER", "-out", name + ".pub.der");
    return Files.readAllBytes(dir.resolve(name + ".pub.der"));
  }

  static JsonObject byokTenant(String id, Issuer idp, String algorithm, JsonObject file) {
    JsonObject body = TestNode.tenantRequest(id, algorithm, idp);
    body.getJsonObject("key").put("origin", "byok").put("byok", file);
    return body;
  }

  static void assertLicenses(String tenant, Issuer idp, String expectedKid) {
    String token = idp.token("u@x.test", List.of());
    Http.Response current = node.http.get("/v1/tenants/" + tenant + "/keys/current", token);
    assertThat(current.json().getString("kid")).isEqualTo(expectedKid);
    JsonObject policy = new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));
    String pl = RmsClient.publishOffline(current.json(), RmsClient.plPayload("c", "u@x.test", RmsClient.newContentKey(), policy));
    Http.Response r = node.http.post("/v1/tenants/" + tenant + "/licenses", token,
        new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().getString("kid")).isEqualTo(expectedKid);
  }

  static byte[] jwkDer(String tenant, String kid) throws Exception {
    JsonObject jwk = node.http.get("/v1/tenants/" + tenant + "/jwks.json", null).json().getJsonArray("keys").stream()
        .map(k -> (JsonObject) k).filter(k -> kid.equals(k.getString("kid"))).findFirst().orElseThrow();
    return PublicJsonWebKey.Factory.newPublicJwk(jwk.encode()).getPublicKey().getEncoded();
  }

  @Test
  @DisplayName("an RSA key made and wrapped by OpenSSL (OAEP SHA-1) creates a tenant that publishes and licenses")
  void opensslWrappedRsaKeyImports() throws Exception {
    Issuer idp = Issuer.ec("https://idp.test/ossl");
    JsonObject kek = kek("ossl", node.operatorToken());
    JsonObject file = wrapWithOpenssl("ossl", "ossl", kek, List.of("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"),
        "SHA-1", false);
    Http.Response created = node.http.post("/v1/tenants", node.operatorToken(), byokTenant("ossl", idp, "RSA-2048", file));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().getJsonArray("keys").getJsonObject(0).getString("origin")).isEqualTo("byok");
    assertThat(jwkDer("ossl", "ossl:1")).isEqualTo(opensslPublicDer("ossl"));
    assertLicenses("ossl", idp, "ossl:1");
    Http.Response export = node.http.post("/v1/tenants/ossl/keys/1/export", idp.token("a@x.test", List.of("tenant-admin")),
        new JsonObject().put("password", "a long enough password"));
    assertThat(export.slug()).isEqualTo("key-not-exportable");
    assertNoPrivateKeyInDatabase(Files.readAllBytes(dir.resolve("ossl.der")));
  }

  @Test
  @DisplayName("an EC key wrapped by OpenSSL with OAEP SHA-256 re-keys a tenant")
  void opensslWrappedEcKeyRekeys() throws Exception {
    Issuer idp = node.createTenant("ossl-ec", "RSA-2048");
    String admin = idp.token("admin@x.test", List.of("tenant-admin"));
    JsonObject kek = kek("ossl-ec", admin);
    JsonObject file = wrapWithOpenssl("osslec", "ossl-ec", kek, List.of("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"),
        "SHA-256", true);
    Http.Response r = node.http.post("/v1/tenants/ossl-ec/keys/rekey", admin,
        new JsonObject().put("origin", "byok").put("algorithm", "EC-P256").put("byok", file));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    assertThat(r.json().getString("origin")).isEqualTo("byok");
    assertThat(jwkDer("ossl-ec", "ossl-ec:2")).isEqualTo(opensslPublicDer("osslec"));
    assertLicenses("ossl-ec", idp, "ossl-ec:2");
  }

  static JsonObject wrapWithCli(String name, String tenant, JsonObject kek, String hash) throws Exception {
    Path out = dir.resolve(name + ".byok");
    int code = new CommandLine(new Main()).execute("byok", "wrap", "--key", dir.resolve(name + ".pem").toString(),
        "--kek", dir.resolve(tenant + "-kek.pem").toString(), "--kek-kid", kek.getString("kid"), "--oaep-hash", hash,
        "--out", out.toString());
    assertThat(code).isZero();
    return new JsonObject(Files.readString(out));
  }

  @Test
  @DisplayName("files made by licensor byok wrap import, with SHA-1 and with SHA-256")
  void cliWrappedKeysImport() throws Exception {
    for (String hash : List.of("SHA-1", "SHA-256")) {
      String tenant = "cli-" + hash.toLowerCase().replace("-", "");
      Issuer idp = Issuer.ec("https://idp.test/" + tenant);
      JsonObject kek = kek(tenant, node.operatorToken());
      openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", tenant + ".pem");
      JsonObject file = wrapWithCli(tenant, tenant, kek, hash);
      assertThat(file.getJsonObject("header").getString("enc")).isEqualTo("CKM_RSA_AES_KEY_WRAP");
      Http.Response created = node.http.post("/v1/tenants", node.operatorToken(), byokTenant(tenant, idp, "EC-P384", file));
      assertThat(created.status()).as(hash + " " + created).isEqualTo(201);
      assertThat(jwkDer(tenant, tenant + ":1")).isEqualTo(opensslPublicDer(tenant));
      assertLicenses(tenant, idp, tenant + ":1");
    }
  }

  private void assertRefused(String tenant, JsonObject file, String algorithm, String slug) {
    Http.Response r = node.http.post("/v1/tenants", node.operatorToken(),
        byokTenant(tenant, Issuer.ec("https://idp.test/" + tenant), algorithm, file));
    assertThat(r.status()).as(slug + ": " + r).isEqualTo(400);
    assertThat(r.slug()).isEqualTo(slug);
    assertThat(node.http.get("/v1/tenants/" + tenant, node.operatorToken()).status()).isEqualTo(404);
    assertThat(TestDatabase.count(node.databaseUrl, "SELECT count(*) FROM key_versions WHERE tenant_id = '" + tenant + "'"))
        .isZero();
  }

  @Test
  @DisplayName("a 256-bit key on another curve (secp256k1, brainpoolP256r1) is not an EC-P256 key: 400 byok-key-not-allowed")
  void otherCurvesAreNotP256() throws Exception {
    for (String curve : List.of("secp256k1", "brainpoolP256r1")) {
      String id = "curve-" + curve.toLowerCase(Locale.ROOT);
      JsonObject kek = kek(id, node.operatorToken());
      JsonObject file = wrapWithOpenssl(id, id, kek, List.of("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + curve),
          "SHA-256", true);
      Http.Response r = node.http.post("/v1/tenants", node.operatorToken(),
          byokTenant(id, Issuer.ec("https://idp.test/" + id), "EC-P256", file));
      assertThat(r.status()).as(curve + ": " + r).isEqualTo(400);
      assertThat(r.slug()).as(curve + ": " + r).isEqualTo("byok-key-not-allowed");
      assertThat(node.http.get("/v1/tenants/" + id, node.operatorToken()).status()).isEqualTo(404);
    }
  }

  @Test
  @DisplayName("each import error is its own problem, and nothing is stored")
  void importErrorsStoreNothing() throws Exception {
    JsonObject kek = kek("errs", node.operatorToken());
    JsonObject otherKek = kek("someone-else", node.operatorToken());
    JsonObject good = wrapWithOpenssl("errs", "errs", kek, List.of("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"),
        "SHA-1", false);

    // a file wrapped for another tenant's KEK, or for a KEK that does not exist
    JsonObject forOther = wrapWithOpenssl("other", "someone-else", otherKek,
        List.of("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"), "SHA-1", false);
    assertRefused("errs", forOther, "RSA-2048", "byok-kek-unknown");
    JsonObject unknownKid = good.copy();
    unknownKid.getJsonObject("header").put("kid", "kek:errs:0000000000000000");
    assertRefused("errs", unknownKid, "RSA-2048", "byok-kek-unknown");
    // wrapped with SHA-1 but announced as SHA-256
    JsonObject wrongHash = good.copy();
    wrongHash.getJsonObject("header").put("oaep_hash", "SHA-256");
    assertRefused("errs", wrongHash, "RSA-2048", "byok-unwrap-failed");
    // corrupt ciphertext, in the RSA part and in the AES-KWP part
    for (int at : new int[] {10, 600}) {
      byte[] c = Base64.getUrlDecoder().decode(good.getString("ciphertext"));
      c[at] ^= 0x5a;
      assertRefused("errs", good.copy().put("ciphertext", Base64.getUrlEncoder().withoutPadding().encodeToString(c)),
          "RSA-2048", "byok-unwrap-failed");
    }
    // not a private key: a public key wrapped the same way
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "pub.pem");
    openssl("pkey", "-in", "pub.pem", "-pubout", "-outform", "DER", "-out", "pub.der");
    JsonObject notPrivate = ByokWrap.wrap(Files.readAllBytes(dir.resolve("pub.der")), publicKey("errs"), kek.getString("kid"),
        "SHA-1").toJson();
    assertRefused("errs", notPrivate, "RSA-2048", "byok-not-a-private-key");
    // a key the policy does not allow: RSA-1024; and an EC key announced as RSA
    JsonObject small = wrapWithOpenssl("small", "errs", kek, List.of("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"),
        "SHA-1", false);
    assertRefused("errs", small, "RSA-2048", "byok-key-not-allowed");
    JsonObject ec = wrapWithOpenssl("ecerr", "errs", kek, List.of("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"),
        "SHA-1", false);
    assertRefused("errs", ec, "RSA-3072", "byok-key-not-allowed");
    // malformed file
    assertRefused("errs", new JsonObject().put("schema_version", "9"), "RSA-2048", "invalid-request");
    // an expired KEK
    TestDatabase.execute(node.databaseUrl, "UPDATE byok_keks SET expires_at = now() - interval '1 minute' WHERE tenant_id = 'errs'");
    assertRefused("errs", good, "RSA-2048", "byok-kek-expired");
  }

  private static PublicKey publicKey(String tenant) throws Exception {
    String pem = Files.readString(dir.resolve(tenant + "-kek.pem")).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("RSA")
        .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
  }

  /** The whole database as text (every row of every table): no trace of the private key's PKCS#8. */
  static void assertNoPrivateKeyInDatabase(byte[] pkcs8) {
    Secrets.assertNoPkcs8(dumpAll(), pkcs8);
  }

  static String dumpAll() {
    StringBuilder all = new StringBuilder();
    for (String table : List.of("tenants", "key_versions", "byok_keks", "audit_events", "audit_heads", "flyway_schema_history")) {
      all.append(TestDatabase.text(node.databaseUrl, "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM " + table + " t"));
    }
    return all.toString();
  }
}
