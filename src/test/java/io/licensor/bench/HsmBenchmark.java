package io.licensor.bench;

import io.licensor.hsm.Hsm;
import io.licensor.hsm.HsmCeiling;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.Pkcs11Hsm;
import io.licensor.hsm.SoftwareCrypto;
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

import java.util.concurrent.TimeUnit;

/**
 * The HSM's own ceiling: the private-key operations a license needs ({@link HsmCeiling.Workload},
 * the same definition {@code licensor bench-hsm} measures), called directly on the HSM backend on
 * one thread (one HSM session), with nothing of licensor around them. {@code unwrap} is
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

  /** software (the node's default provider: native where it loads), software-jdk, software-native, or pkcs11. */
  @Param({"software"})
  public String hsm;

  @Param({"RSA-2048", "EC-P256"})
  public String algorithm;

  private Hsm module;
  private HsmCeiling.Workload workload;

  @Setup(Level.Trial)
  public void open() throws Exception {
    module = open(hsm);
    workload = new HsmCeiling.Workload(module, KeyAlgorithm.fromWireName(algorithm).orElseThrow());
    workload.license();
  }

  /** The backend a benchmark names: the software HSM, or the PKCS#11 module of the environment. */
  public static Hsm open(String type) {
    if ("pkcs11".equals(type)) {
      String library = System.getenv("LICENSOR_HSM_PKCS11_LIBRARY");
      String pin = System.getenv("LICENSOR_HSM_PKCS11_PIN");
      if (library == null || pin == null) {
        throw new IllegalStateException("-p hsm=pkcs11 needs LICENSOR_HSM_PKCS11_LIBRARY and LICENSOR_HSM_PKCS11_PIN");
      }
      // as many sessions as the benchmark's threads (JMH -t): LICENSOR_BENCH_SESSIONS, default 1
      String sessions = System.getenv().getOrDefault("LICENSOR_BENCH_SESSIONS", "1");
      return new Pkcs11Hsm(library, 0, pin.toCharArray(), HsmCeiling.benchWorld(), Integer.parseInt(sessions), 16);
    }
    SoftwareCrypto.Choice choice = switch (type) {
      case "software-jdk" -> SoftwareCrypto.Choice.JDK;
      case "software-native" -> SoftwareCrypto.Choice.NATIVE;
      default -> SoftwareCrypto.Choice.AUTO;
    };
    return new SoftwareHsm(HsmCeiling.benchWorld(), 16, SoftwareCrypto.choose(choice));
  }

  @TearDown(Level.Trial)
  public void close() {
    module.close();
  }

  @Benchmark
  public byte[] unwrap() {
    return workload.unwrap();
  }

  @Benchmark
  public byte[] sign() {
    return workload.sign();
  }

  @Benchmark
  public byte[] license() {
    return workload.license();
  }

  /** What a license costs the HSM with delegated signing (the default): the unwrap and a delegated ES256 signature. */
  @Benchmark
  public byte[] licenseDelegated() {
    return workload.licenseDelegated();
  }
}
