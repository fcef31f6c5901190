package io.licensor.bench;

import io.licensor.hsm.GeneratedKey;
import io.licensor.hsm.Hsm;
import io.licensor.hsm.HsmCeiling;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.KeyRef;
import io.licensor.hsm.Pkcs11Hsm;
import io.licensor.hsm.SoftwareHsm;
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

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.ECPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.concurrent.TimeUnit;

/**
 * The HSM's own ceiling: the private-key operations a license needs, called directly on the HSM
 * backend on one thread (one HSM session), with nothing of licensor around them. {@code unwrap} is
 * the content-key unwrap (RSA-OAEP-256 decryption, or ECDH for EC versions), {@code sign} the use
 * license's signature, {@code license} both back to back: the ceiling a node's license rate is
 * compared with (load-tests/benchmark.sh).
 *
 * <p>{@code -p hsm=pkcs11} runs on a PKCS#11 token: LICENSOR_HSM_PKCS11_LIBRARY and
 * LICENSOR_HSM_PKCS11_PIN (and SOFTHSM2_CONF for SoftHSM2) name it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.crypto.cryptoki",
    "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED"})
public class HsmBenchmark {

  @Param({"software"})
  public String hsm;

  @Param({"RSA-2048", "EC-P256"})
  public String algorithm;

  private Hsm module;
  private KeyRef key;
  private byte[] wrappedContentKey;
  private ECPublicKey ephemeral;
  private final byte[] signingInput = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9".getBytes(StandardCharsets.US_ASCII);

  @Setup(Level.Trial)
  public void open() throws Exception {
    module = open(hsm);
    KeyAlgorithm alg = KeyAlgorithm.fromWireName(algorithm).orElseThrow();
    GeneratedKey generated = module.generate(alg);
    key = new KeyRef("bench:1", alg, generated.token());
    if (alg.isRsa()) {
      Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
      oaep.init(Cipher.ENCRYPT_MODE, generated.publicKey(), new OAEPParameterSpec("SHA-256", "MGF1",
          MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
      wrappedContentKey = oaep.doFinal(new byte[32]);
    } else {
      ephemeral = (ECPublicKey) module.generate(alg).publicKey();
    }
    unwrap();
    sign();
  }

  /** The backend a benchmark names: the software HSM, or the PKCS#11 module of the environment. */
  public static Hsm open(String type) {
    if ("pkcs11".equals(type)) {
      String library = System.getenv("LICENSOR_HSM_PKCS11_LIBRARY");
      String pin = System.getenv("LICENSOR_HSM_PKCS11_PIN");
      if (library == null || pin == null) {
        throw new IllegalStateException("-p hsm=pkcs11 needs LICENSOR_HSM_PKCS11_LIBRARY and LICENSOR_HSM_PKCS11_PIN");
      }
      return new Pkcs11Hsm(library, 0, pin.toCharArray(), HsmCeiling.benchWorld(), 1, 16);
    }
    return new SoftwareHsm(HsmCeiling.benchWorld(), 16);
  }

  @TearDown(Level.Trial)
  public void close() {
    module.close();
  }

  @Benchmark
  public byte[] unwrap() {
    return wrappedContentKey != null ? module.decryptOaepSha256(key, wrappedContentKey) : module.agree(key, ephemeral);
  }

  @Benchmark
  public byte[] sign() {
    return module.sign(key, signingInput);
  }

  @Benchmark
  public byte[] license() {
    unwrap();
    return sign();
  }
}
