package io.licensor.hsm;

import io.licensor.support.Pkcs11SoPin;
import io.licensor.support.Pkcs11Token;
import io.licensor.world.WorldKey;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Security review of 73c5f13, finding 5 (second half): on PKCS#11 the world key was read from the
 * module key file on every start and put on the token as session objects of licensor's process,
 * and every private key was made extractable, so BYOK's "never exportable" rested on that file's
 * permissions. Now the world lives on the token. The attack: another process holding the token's
 * user PIN and every key token of the database ({@link TokenThief}) tries every way the PKCS#11
 * API offers to take the keys out. On 73c5f13 it finds no world on the token at all (and whoever
 * reads module.key needs no PIN).
 */
@DisplayName("PKCS#11 custody: the world lives on the token; a PIN holder cannot take BYOK keys out")
class TokenCustodyTest {

  private static WorldKey newWorld() {
    byte[] key = new byte[32];
    byte[] id = new byte[6];
    new SecureRandom().nextBytes(key);
    new SecureRandom().nextBytes(id);
    return new WorldKey("wcustody" + HexFormat.of().formatHex(id), key);
  }

  @ParameterizedTest(name = "wrapping keys trusted (enrolled with the SO PIN): {0}")
  @ValueSource(booleans = {true, false})
  @DisplayName("with the user PIN and the key tokens, BYOK keys and KEKs stay in; service-generated keys are exportable, as by contract")
  void pinHolderCannotTakeByokKeys(boolean trusted) throws Exception {
    String library = Pkcs11Token.library();
    char[] soPin = trusted ? Pkcs11SoPin.get() : null;
    WorldKey world = newWorld();
    List<String> tokens = new ArrayList<>();
    String serviceFingerprint;
    String byokFingerprint;
    try (Pkcs11Hsm hsm = new Pkcs11Hsm(library, 0, Pkcs11Token.pin().toCharArray(), soPin, world, 1, 16)) {
      assertThat(hsm.trustedWrapping()).isEqualTo(trusted);
      GeneratedKey service = hsm.generate(KeyAlgorithm.RSA_2048);
      var generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      var pair = generator.generateKeyPair();
      GeneratedKey byok = hsm.importPrivateKey(KeyAlgorithm.RSA_2048, pair.getPrivate().getEncoded());
      GeneratedKey kek = hsm.generateKek();
      serviceFingerprint = TokenThief.fingerprint(((RSAPublicKey) service.publicKey()).getModulus());
      byokFingerprint = TokenThief.fingerprint(((RSAPublicKey) byok.publicKey()).getModulus());
      tokens.add("service=" + service.token().encode());
      tokens.add("byok=" + byok.token().encode());
      tokens.add("kek=" + kek.token().encode());
      // the loaded keys work (and stay loaded, non-extractable, while the thief runs)
      KeyRef byokRef = new KeyRef("t:1", KeyAlgorithm.RSA_2048, byok.token());
      assertThat(hsm.load(byokRef)).isEqualTo(pair.getPublic());

      String out = thief(library, world.worldId(), tokens);
      System.out.println("the thief, wrapping keys trusted: " + trusted + "\n" + out);
      assertThat(out).as(out).contains("WORLD-KEYS 4");
      assertThat(out.lines().filter(l -> l.startsWith("WORLD licensor_")))
          .as(out).hasSize(4).allMatch(l -> l.endsWith(" unreadable uncopied"));
      assertThat(out).as(out).contains("OWN-KEY untrusted");
      assertThat(out).as("a BYOK key: " + out).contains("REFUSED byok").doesNotContain(byokFingerprint);
      assertThat(out).as("a key-exchange key: " + out).contains("REFUSED kek");
      // the control: the thief's method works where the contract lets a key out (its tenant admin may export it)
      assertThat(out).as("a service-generated key: " + out).contains("STOLEN service " + serviceFingerprint);
    } finally {
      world.destroy();
    }
  }

  @Test
  @DisplayName("a BYOK key token of an earlier version (under the world key) is stealable; moved into custody, it is not")
  void earlierByokTokensMoveIntoCustody() throws Exception {
    String library = Pkcs11Token.library();
    WorldKey world = newWorld();
    var generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    var pair = generator.generateKeyPair();
    String fingerprint = TokenThief.fingerprint(((RSAPublicKey) pair.getPublic()).getModulus());
    KeyToken legacy = LegacyKeyTokens.byok(world, pair.getPrivate().getEncoded());
    assertThat(legacy.beforeCustody()).isTrue();
    try (Pkcs11Hsm hsm = new Pkcs11Hsm(library, 0, Pkcs11Token.pin().toCharArray(), world, 1, 16)) {
      KeyRef legacyRef = new KeyRef("t:1", KeyAlgorithm.RSA_2048, legacy);
      assertThat(hsm.load(legacyRef)).isEqualTo(pair.getPublic());
      KeyToken moved = hsm.custody(legacyRef);
      assertThat(moved).isNotEqualTo(legacy);
      assertThat(moved.beforeCustody()).isFalse();
      assertThat(hsm.custody(new KeyRef("t:1", KeyAlgorithm.RSA_2048, moved))).isEqualTo(moved);
      assertThat(hsm.load(new KeyRef("t:1", KeyAlgorithm.RSA_2048, moved))).isEqualTo(pair.getPublic());
      assertThatThrownBy(() -> hsm.exportPkcs8(new KeyRef("t:1", KeyAlgorithm.RSA_2048, moved)))
          .isInstanceOf(HsmException.class).hasMessageContaining("not extractable");
      // the software HSM of the same world reads it too (a backup restored on the other backend)
      try (SoftwareHsm software = new SoftwareHsm(world, 4)) {
        assertThat(software.load(new KeyRef("t:1", KeyAlgorithm.RSA_2048, moved))).isEqualTo(pair.getPublic());
      }

      String out = thief(library, world.worldId(), List.of("legacy=" + legacy.encode(), "moved=" + moved.encode()));
      System.out.println("the thief, earlier and moved BYOK tokens\n" + out);
      assertThat(out).as(out).contains("STOLEN legacy " + fingerprint).contains("REFUSED moved");
    } finally {
      world.destroy();
    }
  }

  @Test
  @DisplayName("a second start finds the world on the token; a module key of the same id but another key is refused")
  void theWorldStaysOnTheToken() throws Exception {
    String library = Pkcs11Token.library();
    WorldKey world = newWorld();
    byte[] data = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJ4In0".getBytes();
    GeneratedKey key;
    try (Pkcs11Hsm first = new Pkcs11Hsm(library, 0, Pkcs11Token.pin().toCharArray(), world, 1, 16)) {
      key = first.generate(KeyAlgorithm.RSA_2048);
    }
    try (Pkcs11Hsm second = new Pkcs11Hsm(library, 0, Pkcs11Token.pin().toCharArray(), world, 1, 16)) {
      KeyRef ref = new KeyRef("t:1", KeyAlgorithm.RSA_2048, key.token());
      byte[] signature = second.sign(ref, data);
      var verifier = Signature.getInstance("RSASSA-PSS");
      verifier.setParameter(new PSSParameterSpec("SHA-256", "MGF1",
          MGF1ParameterSpec.SHA256, 32, 1));
      verifier.initVerify(key.publicKey());
      verifier.update(data);
      assertThat(verifier.verify(signature)).isTrue();
    }
    byte[] other = new byte[32];
    new SecureRandom().nextBytes(other);
    WorldKey impostor = new WorldKey(world.worldId(), other);
    assertThatThrownBy(() -> new Pkcs11Hsm(library, 0, Pkcs11Token.pin().toCharArray(), impostor, 1, 16))
        .isInstanceOf(HsmException.class).hasMessageContaining("not those of its module key");
    world.destroy();
    impostor.destroy();
  }

  private static String thief(String library, String worldId, List<String> tokens) throws Exception {
    Path classes = Path.of(TokenThief.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "--add-modules", "jdk.crypto.cryptoki",
        "--add-exports", "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
        "-cp", classes.toString(), TokenThief.class.getName(), library, worldId));
    command.addAll(tokens);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("LICENSOR_THIEF_PIN", Pkcs11Token.pin());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
