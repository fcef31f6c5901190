package io.licensor.world;

import io.licensor.config.ConfigException;
import io.licensor.config.ConfigLoader;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("The module key file")
class ModuleKeyFileTest {

  @Test
  @DisplayName("sealed under a passphrase, the file holds no key and opens only with that passphrase")
  void sealedModuleKey(@TempDir Path dir) throws Exception {
    char[] passphrase = "module passphrase".toCharArray();
    WorldKey created = ModuleKeyFile.loadOrCreate(dir, passphrase);
    String file = Files.readString(ModuleKeyFile.pathIn(dir));
    assertThat(new JsonObject(file).containsKey("key")).isFalse();
    assertThat(file).doesNotContain(Base64.getEncoder().encodeToString(created.secretBytesForHsm()));
    WorldKey again = ModuleKeyFile.loadOrCreate(dir, "module passphrase".toCharArray());
    assertThat(again.worldId()).isEqualTo(created.worldId());
    assertThat(again.secretBytesForHsm()).isEqualTo(created.secretBytesForHsm());
    assertThatThrownBy(() -> ModuleKeyFile.loadOrCreate(dir, null))
        .isInstanceOf(WorldException.class).hasMessageContaining("LICENSOR_WORLD_MODULE_PASSPHRASE");
    assertThatThrownBy(() -> ModuleKeyFile.loadOrCreate(dir, "another passphrase".toCharArray()))
        .isInstanceOf(WorldException.class).hasMessageContaining("wrong passphrase");
  }

  @Test
  @DisplayName("a data directory of one world is never overwritten with another")
  void otherWorldRefused(@TempDir Path dir) throws Exception {
    WorldKey first = ModuleKeyFile.loadOrCreate(dir);
    WorldKey other = new WorldKey("wother", new byte[32]);
    assertThatThrownBy(() -> ModuleKeyFile.write(dir, other)).isInstanceOf(WorldException.class)
        .hasMessageContaining(first.worldId());
    assertThat(ModuleKeyFile.loadOrCreate(dir).worldId()).isEqualTo(first.worldId());
  }

  @Test
  @DisplayName("the module passphrase comes from the environment, never from the configuration file")
  void passphraseNeverFromTheFile(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("c.json");
    Files.writeString(conf, "{\"world\":{\"modulePassphrase\":\"in the file\"}}");
    assertThatThrownBy(() -> ConfigLoader.fromFileAndEnv(conf, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("LICENSOR_WORLD_MODULE_PASSPHRASE")
        .hasMessageNotContaining("in the file");
    var config = ConfigLoader.fromFileAndEnv(null, Map.of("LICENSOR_WORLD_MODULE_PASSPHRASE", "from env"));
    assertThat(new String(config.modulePassphrase())).isEqualTo("from env");
    assertThat(config.toJson().encode()).doesNotContain("from env");
  }

  @Test
  @DisplayName("the token's SO PIN comes from the environment or its own file, never from the configuration file, and is never shown")
  void soPinNeverFromTheFile(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("c.json");
    Files.writeString(conf, "{\"hsm\":{\"type\":\"pkcs11\",\"pkcs11\":{\"library\":\"/x.so\",\"soPin\":\"so-in-the-file\"}}}");
    assertThatThrownBy(() -> ConfigLoader.fromFileAndEnv(conf, Map.of("LICENSOR_HSM_PKCS11_PIN", "1234")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("LICENSOR_HSM_PKCS11_SO_PIN")
        .hasMessageNotContaining("so-in-the-file");
    Path soPinFile = dir.resolve("so.pin");
    Files.writeString(soPinFile, "so-from-file\n");
    var config = ConfigLoader.fromFileAndEnv(null, Map.of("LICENSOR_HSM_TYPE", "pkcs11", "LICENSOR_HSM_PKCS11_LIBRARY", "/x.so",
        "LICENSOR_HSM_PKCS11_PIN", "1234", "LICENSOR_HSM_PKCS11_SO_PIN_FILE", soPinFile.toString()));
    assertThat(new String(config.pkcs11SoPin())).isEqualTo("so-from-file");
    assertThat(config.toJson().encode()).doesNotContain("so-from-file");
    assertThat(ConfigLoader.fromFileAndEnv(null, Map.of()).pkcs11SoPin()).isNull();
  }
}
