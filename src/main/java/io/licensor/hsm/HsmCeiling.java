package io.licensor.hsm;

import io.licensor.world.WorldKey;

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;

/**
 * Measures the HSM's own ceiling for what one license costs it: one RSA-OAEP-256 unwrap plus one
 * signature with the same key version, back to back on one thread, as one HSM session does. The
 * license rate of a node is reported against this figure, measured on the same machine.
 */
public final class HsmCeiling {

  private HsmCeiling() {
  }

  /** Pairs (unwrap + sign) per second over {@code seconds}, after a warm-up of the same length / 2. */
  public static double measure(KeyAlgorithm algorithm, double seconds, int threads) throws Exception {
    return measure(new SoftwareHsm(benchWorld(), 16), algorithm, seconds, threads);
  }

  /** A throwaway world for benchmarks. */
  public static WorldKey benchWorld() {
    byte[] world = new byte[32];
    new SecureRandom().nextBytes(world);
    return new WorldKey("bench", world);
  }

  /** The same on any HSM backend; {@code threads} should not exceed its sessions. */
  public static double measure(Hsm hsm, KeyAlgorithm algorithm, double seconds, int threads) throws Exception {
    GeneratedKey key = hsm.generate(algorithm);
    KeyRef ref = new KeyRef("bench:1", algorithm, key.token());
    byte[] wrapped;
    if (algorithm.isRsa()) {
      Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
      c.init(Cipher.ENCRYPT_MODE, key.publicKey(), new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
          PSource.PSpecified.DEFAULT));
      wrapped = c.doFinal(new byte[32]);
    } else {
      wrapped = null;
    }
    java.security.interfaces.ECPublicKey peer = algorithm.isRsa() ? null
        : (java.security.interfaces.ECPublicKey) hsm.generate(algorithm).publicKey();
    byte[] input = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9".getBytes();
    Runnable one = () -> {
      if (wrapped != null) {
        hsm.decryptOaepSha256(ref, wrapped);
      } else {
        hsm.agree(ref, peer);
      }
      hsm.sign(ref, input);
    };
    run(one, (long) (seconds * 500), threads);
    return run(one, (long) (seconds * 1000), threads);
  }

  private static double run(Runnable op, long millis, int threads) throws InterruptedException {
    java.util.concurrent.atomic.LongAdder count = new java.util.concurrent.atomic.LongAdder();
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
