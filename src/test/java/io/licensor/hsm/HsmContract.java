package io.licensor.hsm;

import io.licensor.byok.ByokWrap;
import io.licensor.world.WorldKey;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The HSM contract, written once and run against every backend: generate, unwrap, agree, sign,
 * import, BYOK transfer, key-token round trip, forget, and concurrency under the worker verticles.
 * Results are checked with the JCA, not with the HSM under test.
 */
abstract class HsmContract {

  static final WorldKey WORLD = new WorldKey("wcontract", filled(7));

  /** The backend under test. */
  abstract Hsm hsm();

  /** Another module of the same world (to prove key tokens travel between modules). */
  abstract Hsm sameWorld();

  static byte[] filled(int b) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) b);
    return k;
  }

  static boolean verifies(KeyAlgorithm alg, PublicKey key, byte[] data, byte[] signature) throws Exception {
    Signature v;
    switch (alg) {
      case EC_P256 -> v = Signature.getInstance("SHA256withECDSAinP1363Format");
      case EC_P384 -> v = Signature.getInstance("SHA384withECDSAinP1363Format");
      default -> {
        v = Signature.getInstance("RSASSA-PSS");
        v.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
      }
    }
    v.initVerify(key);
    v.update(data);
    return v.verify(signature);
  }

  @Test
  @DisplayName("a delegated signing key signs ES256 until destroyed, and is nowhere but in the module that made it")
  void delegatedSigningKeys() throws Exception {
    SigningKeyHandle first = hsm().generateSigningKey();
    SigningKeyHandle second = hsm().generateSigningKey();
    assertThat(first.handle()).isNotEqualTo(second.handle());
    assertThat(first.publicKey().getEncoded()).isNotEqualTo(second.publicKey().getEncoded());
    assertThat(first.publicKey().getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
    byte[] data = "header.payload".getBytes();
    byte[] signature = hsm().signWithSigningKey(first.handle(), data);
    assertThat(signature).hasSize(64);
    assertThat(verifies(KeyAlgorithm.EC_P256, first.publicKey(), data, signature)).isTrue();
    assertThat(verifies(KeyAlgorithm.EC_P256, second.publicKey(), data, signature)).isFalse();
    // another module of the same world does not hold it: the key is in no key token
    assertThatThrownBy(() -> sameWorld().signWithSigningKey(first.handle(), data))
        .isInstanceOfSatisfying(HsmException.class, e -> assertThat(e.reason()).isEqualTo(HsmException.Reason.KEY_UNAVAILABLE));
    hsm().destroySigningKey(first.handle());
    assertThatThrownBy(() -> hsm().signWithSigningKey(first.handle(), data))
        .isInstanceOfSatisfying(HsmException.class, e -> assertThat(e.reason()).isEqualTo(HsmException.Reason.KEY_UNAVAILABLE));
    assertThat(verifies(KeyAlgorithm.EC_P256, second.publicKey(), data, hsm().signWithSigningKey(second.handle(), data)))
        .isTrue();
    hsm().destroySigningKey(second.handle());
    hsm().destroySigningKey(second.handle());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = KeyAlgorithm.class, names = {"RSA_2048", "RSA_3072", "EC_P256", "EC_P384"})
  @DisplayName("a generated key signs in JOSE format, verifiably with its public key")
  void generatedKeysSign(KeyAlgorithm alg) throws Exception {
    GeneratedKey key = hsm().generate(alg);
    KeyRef ref = new KeyRef("c:" + alg, alg, key.token());
    byte[] data = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0".getBytes();
    byte[] sig = hsm().sign(ref, data);
    assertThat(verifies(alg, key.publicKey(), data, sig)).isTrue();
    assertThat(hsm().load(ref)).isEqualTo(key.publicKey());
  }

  @Test
  @DisplayName("RSA-OAEP-256 unwraps what the JCA wrapped; a tampered block is refused")
  void unwrapsOaep() throws Exception {
    GeneratedKey key = hsm().generate(KeyAlgorithm.RSA_2048);
    KeyRef ref = new KeyRef("c:oaep", KeyAlgorithm.RSA_2048, key.token());
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(Cipher.ENCRYPT_MODE, key.publicKey(), new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
        PSource.PSpecified.DEFAULT));
    byte[] cek = filled(9);
    byte[] ct = c.doFinal(cek);
    for (int i = 0; i < 20; i++) {
      assertThat(hsm().decryptOaepSha256(ref, ct)).isEqualTo(cek);
    }
    ct[5] ^= 1;
    assertThatThrownBy(() -> hsm().decryptOaepSha256(ref, ct)).isInstanceOf(HsmException.class)
        .extracting(e -> ((HsmException) e).reason()).isEqualTo(HsmException.Reason.BAD_INPUT);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = KeyAlgorithm.class, names = {"EC_P256", "EC_P384"})
  @DisplayName("ECDH gives the same secret as the JCA on the other side")
  void agrees(KeyAlgorithm alg) throws Exception {
    GeneratedKey key = hsm().generate(alg);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(alg.curve()));
    KeyPair peer = g.generateKeyPair();
    KeyAgreement ka = KeyAgreement.getInstance("ECDH");
    ka.init(peer.getPrivate());
    ka.doPhase(key.publicKey(), true);
    assertThat(hsm().agree(new KeyRef("c:ecdh" + alg, alg, key.token()), (ECPublicKey) peer.getPublic()))
        .isEqualTo(ka.generateSecret());
  }

  @Test
  @DisplayName("key tokens travel between modules of one world, and a forgotten key reloads from its token")
  void tokensRoundTrip() throws Exception {
    for (KeyAlgorithm alg : List.of(KeyAlgorithm.RSA_2048, KeyAlgorithm.EC_P256)) {
      GeneratedKey here = hsm().generate(alg);
      GeneratedKey there = sameWorld().generate(alg);
      byte[] data = "round trip".getBytes();
      assertThat(verifies(alg, here.publicKey(), data, sameWorld().sign(new KeyRef("rt:a" + alg, alg, here.token()), data))).isTrue();
      assertThat(verifies(alg, there.publicKey(), data, hsm().sign(new KeyRef("rt:b" + alg, alg, there.token()), data))).isTrue();
      hsm().forget("rt:b" + alg);
      assertThat(verifies(alg, there.publicKey(), data, hsm().sign(new KeyRef("rt:b" + alg, alg, there.token()), data))).isTrue();
    }
    assertThat(hsm().worldMac("x".getBytes())).isEqualTo(sameWorld().worldMac("x".getBytes()));
  }

  @Test
  @DisplayName("an imported key works and is not extractable; a generated one exports encrypted")
  void importsAndExports() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair pair = g.generateKeyPair();
    GeneratedKey imported = hsm().importPrivateKey(KeyAlgorithm.EC_P384, pair.getPrivate().getEncoded());
    assertThat(imported.publicKey()).isEqualTo(pair.getPublic());
    KeyRef ref = new KeyRef("imp:1", KeyAlgorithm.EC_P384, imported.token());
    assertThat(verifies(KeyAlgorithm.EC_P384, pair.getPublic(), "d".getBytes(), hsm().sign(ref, "d".getBytes()))).isTrue();
    assertThatThrownBy(() -> hsm().exportPkcs8(ref))
        .isInstanceOf(HsmException.class)
        .extracting(e -> ((HsmException) e).reason()).isEqualTo(HsmException.Reason.NOT_EXTRACTABLE);
    GeneratedKey generated = hsm().generate(KeyAlgorithm.RSA_2048);
    byte[] pkcs8 = hsm().exportPkcs8(new KeyRef("exp:1", KeyAlgorithm.RSA_2048, generated.token()));
    RSAPrivateCrtKey exported = (RSAPrivateCrtKey)
        KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    assertThat(exported.getModulus()).isEqualTo(((RSAPublicKey) generated.publicKey()).getModulus());
    assertThat(ExportEncryption.encryptedPem(pkcs8, KeyAlgorithm.RSA_2048, "a long password".toCharArray(), new SecureRandom()))
        .startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
  }

  @Test
  @DisplayName("a BYOK transfer imports under a KEK; the KEK does nothing else")
  void importsTransfers() throws Exception {
    GeneratedKey kek = hsm().generateKek();
    KeyRef kekRef = new KeyRef("kek:t:1", KeyAlgorithm.RSA_4096, kek.token());
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair pair = g.generateKeyPair();
    for (String hash : List.of("SHA-1", "SHA-256")) {
      byte[] ct = ByokWrap.wrap(pair.getPrivate().getEncoded(), kek.publicKey(), "kek:t:1", hash).ciphertext();
      GeneratedKey imported = hsm().importTransfer(kekRef, ct, hash, KeyAlgorithm.RSA_2048);
      assertThat(imported.publicKey()).isEqualTo(pair.getPublic());
      assertThatThrownBy(() -> hsm().importTransfer(kekRef, ct, "SHA-1".equals(hash) ? "SHA-256" : "SHA-1", KeyAlgorithm.RSA_2048))
          .isInstanceOf(HsmException.class)
          .extracting(e -> ((HsmException) e).reason()).isEqualTo(HsmException.Reason.TRANSFER_UNWRAP_FAILED);
    }
    assertThatThrownBy(() -> hsm().sign(kekRef, "x".getBytes())).isInstanceOf(HsmException.class);
  }

  @Test
  @DisplayName("under two worker verticles, 200 concurrent operations all come out right")
  void concurrentUnderWorkers() throws Exception {
    Hsm hsm = hsm();
    Vertx vertx = Vertx.vertx();
    try {
      HsmClient.registerCodec(vertx);
      HsmStats stats = new HsmStats();
      vertx.deployVerticle(() -> new HsmWorker(hsm, stats), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)
          .setWorkerPoolName("contract-hsm").setWorkerPoolSize(2).setInstances(2))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      HsmClient client = new HsmClient(vertx, 1000, 60_000, 1, stats);
      GeneratedKey ec = hsm().generate(KeyAlgorithm.EC_P256);
      GeneratedKey rsa = hsm().generate(KeyAlgorithm.RSA_2048);
      List<Future<byte[]>> all = new ArrayList<>();
      List<byte[]> inputs = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        byte[] data = ("op " + i).getBytes();
        inputs.add(data);
        GeneratedKey k = i % 2 == 0 ? ec : rsa;
        all.add(client.sign(new KeyRef(i % 2 == 0 ? "cc:ec" : "cc:rsa", k.algorithm(), k.token()), data));
      }
      Future.all(all).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      for (int i = 0; i < 200; i++) {
        GeneratedKey k = i % 2 == 0 ? ec : rsa;
        assertThat(verifies(k.algorithm(), k.publicKey(), inputs.get(i), all.get(i).result())).as("op " + i).isTrue();
      }
      assertThat(stats.operationsByThread().keySet()).allMatch(t -> t.startsWith("contract-hsm"));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
