package io.licensor.hsm;

import io.licensor.world.WorldKey;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * Measures the HSM's own ceiling for what one license costs it: one RSA-OAEP-256 unwrap plus one
 * signature with the same key version, back to back on one thread, as one HSM session does. The
 * license rate of a node is reported against this figure, measured on the same machine.
 */
public final class HsmCeiling {

  private HsmCeiling() {
  }

  /** A throwaway world for benchmarks. */
  public static WorldKey benchWorld() {
    byte[] world = new byte[32];
    new SecureRandom().nextBytes(world);
    return new WorldKey("bench", world);
  }

  /**
   * Pairs (unwrap + sign) per second on {@code hsm} over {@code seconds}, after a warm-up of half
   * that; {@code threads} should not exceed its sessions.
   */
  public static double measure(Hsm hsm, KeyAlgorithm algorithm, double seconds, int threads) throws Exception {
    return measure(hsm, algorithm, seconds, threads, false);
  }

  /**
   * As {@link #measure(Hsm, KeyAlgorithm, double, int)}; with {@code delegated}, the signature is a
   * delegated signing key's ES256 (what a license costs the HSM with {@code licensing.delegatedSigning}).
   */
  public static double measure(Hsm hsm, KeyAlgorithm algorithm, double seconds, int threads, boolean delegated)
      throws Exception {
    Workload workload = new Workload(hsm, algorithm);
    Runnable one = delegated ? workload::licenseDelegated : workload::license;
    run(one, (long) (seconds * 500), threads);
    return run(one, (long) (seconds * 1000), threads);
  }

  /**
   * What one license costs an HSM, on a key version generated for the purpose: the content-key
   * unwrap (RSA-OAEP-256 decryption of a wrapped 32-byte key, or ECDH with a peer's public key for
   * EC versions) and the use-license signature. The one definition both this class and the JMH
   * benchmark (HsmBenchmark) measure.
   */
  public static final class Workload {

    private final Hsm hsm;
    private final KeyRef key;
    private final byte[] wrappedContentKey;
    private final ECPublicKey peer;
    private final String signingKey;
    private final byte[] signingInput = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9".getBytes(
        StandardCharsets.US_ASCII);

    public Workload(Hsm hsm, KeyAlgorithm algorithm) throws Exception {
      this.hsm = hsm;
      GeneratedKey generated = hsm.generate(algorithm);
      key = new KeyRef("bench:1", algorithm, generated.token());
      if (algorithm.isRsa()) {
        Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
        oaep.init(Cipher.ENCRYPT_MODE, generated.publicKey(), new OAEPParameterSpec("SHA-256", "MGF1",
            MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
        wrappedContentKey = oaep.doFinal(new byte[32]);
        peer = null;
      } else {
        wrappedContentKey = null;
        peer = (ECPublicKey) hsm.generate(algorithm).publicKey();
      }
      signingKey = hsm.generateSigningKey().handle();
    }

    public byte[] unwrap() {
      return wrappedContentKey != null ? hsm.decryptOaepSha256(key, wrappedContentKey) : hsm.agree(key, peer);
    }

    public byte[] sign() {
      return hsm.sign(key, signingInput);
    }

    /** Both, back to back: one license's worth of private-key work. */
    public byte[] license() {
      unwrap();
      return sign();
    }

    /** A delegated signing key's ES256 signature of the use license. */
    public byte[] signDelegated() {
      return hsm.signWithSigningKey(signingKey, signingInput);
    }

    /** One license's worth with delegated signing: the version key's unwrap, the delegated key's signature. */
    public byte[] licenseDelegated() {
      unwrap();
      return signDelegated();
    }
  }

  private static double run(Runnable op, long millis, int threads) throws InterruptedException {
    LongAdder count = new LongAdder();
    long end = System.nanoTime() + millis * 1_000_000;
    Thread[] workers = new Thread[threads];
    long start = System.nanoTime();
    for (int i = 0; i < threads; i++) {
      workers[i] = new Thread(() -> {
        while (System.nanoTime() < end) {
          op.run();
          count.increment();
        }
      });
      workers[i].start();
    }
    for (Thread t : workers) {
      t.join();
    }
    return count.sum() / ((System.nanoTime() - start) / 1e9);
  }
}
