package io.licensor.licensing;

import io.licensor.rights.Right;
import com.nimbusds.jose.jwk.JWK;
import io.licensor.bench.HsmBenchmark;
import io.licensor.hsm.GeneratedKey;
import io.licensor.hsm.Hsm;
import io.licensor.hsm.SoftwareCrypto;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.ids.Kid;
import io.licensor.keys.KeyOrigin;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.licensor.keys.PublicJwks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The in-process licensing pipeline on one thread, without HTTP, the database or the audit: parse
 * the publishing license, unwrap its content key in the HSM, open it, evaluate the policy, encrypt
 * the content key to the recipient, and sign the use license in the HSM. {@code license} is the
 * whole pipeline; {@code licenseWithoutHsm} all of it except the two private-key operations (their
 * results made beforehand), which is what licensor adds to the HSM's own work (HsmBenchmark).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.crypto.cryptoki",
    "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED"})
public class LicensePipelineBenchmark {

  @Param({"software"})
  public String hsm;

  @Param({"RSA-2048", "EC-P256"})
  public String algorithm;

  private Hsm module;
  private JweEncryption encryption;
  private KeyVersion version;
  private String publishingLicense;
  private JsonObject recipientKey;
  private byte[] unwrapped;
  private byte[] signature;

  @Setup(Level.Trial)
  public void open() throws Exception {
    module = HsmBenchmark.open(hsm);
    encryption = new JweEncryption(SoftwareCrypto.choose(SoftwareCrypto.Choice.AUTO));
    KeyAlgorithm alg = KeyAlgorithm.fromWireName(algorithm).orElseThrow();
    GeneratedKey key = module.generate(alg);
    version = new KeyVersion("bench", 1, KeyVersionState.ACTIVE, alg, KeyOrigin.SERVICE,
        PublicJwks.of(key.publicKey(), Kid.of("bench", 1)), key.token(), Instant.now());
    byte[] contentKey = new byte[32];
    new SecureRandom().nextBytes(contentKey);
    Policy policy = Policy.fromJson(new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "*@bench.test").put("rights", new JsonArray().add("VIEW")))));
    publishingLicense = PublishingLicenses.seal(version, new PublishingLicenseContent("doc-1", "alice@bench.test",
        Instant.now().getEpochSecond(), contentKey, policy), encryption);
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    recipientKey = new JsonObject(PublicJwks.of(rsa.generateKeyPair().getPublic(), null).toJSONString());
    ParsedPublishingLicense pl = PublishingLicenses.parse(publishingLicense);
    unwrapped = unwrap(pl);
    signature = module.sign(version.keyRef(), "x".getBytes());
    license();
  }

  @TearDown(Level.Trial)
  public void close() {
    module.close();
  }

  private byte[] unwrap(ParsedPublishingLicense pl) {
    return version.algorithm().isRsa()
        ? module.decryptOaepSha256(version.keyRef(), pl.jwe().getEncryptedKey().decode())
        : module.agree(version.keyRef(), PublishingLicenses.ephemeralKey(pl, version));
  }

  private SecretKey contentEncryptionKey(ParsedPublishingLicense pl, byte[] unwrapResult) {
    return version.algorithm().isRsa() ? new SecretKeySpec(unwrapResult, "AES")
        : PublishingLicenses.cekFromAgreement(pl, unwrapResult);
  }

  @Benchmark
  public String license() throws Exception {
    ParsedPublishingLicense pl = PublishingLicenses.parse(publishingLicense);
    JWK recipient = RecipientKeys.parse(recipientKey);
    UseLicenses.Unsigned unsigned = prepare(pl, contentEncryptionKey(pl, unwrap(pl)), recipient);
    String input = unsigned.signingInput(UseLicenses.header(version));
    return UseLicenses.complete(input, module.sign(version.keyRef(), PublishingLicenses.ascii(input)));
  }

  @Benchmark
  public String licenseWithoutHsm() throws Exception {
    ParsedPublishingLicense pl = PublishingLicenses.parse(publishingLicense);
    JWK recipient = RecipientKeys.parse(recipientKey);
    UseLicenses.Unsigned unsigned = prepare(pl, contentEncryptionKey(pl, unwrapped.clone()), recipient);
    String input = unsigned.signingInput(UseLicenses.header(version));
    PublishingLicenses.ascii(input);
    return UseLicenses.complete(input, signature);
  }

  private UseLicenses.Unsigned prepare(ParsedPublishingLicense pl, SecretKey cek, JWK recipient) throws Exception {
    PublishingLicenseContent content = PublishingLicenses.open(pl, cek);
    try {
      Set<Right> rights = content.policy().rightsFor("bob@bench.test", Set.of());
      long now = Instant.now().getEpochSecond();
      return UseLicenses.prepare(version, content, "bob@bench.test", rights, recipient, encryption, now, now + 3600, 3600);
    } finally {
      content.destroy();
    }
  }
}
