package io.licensor.node;

import io.licensor.cli.Cli;
import io.licensor.support.Pkcs11Token;
import io.licensor.support.TestNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 22, item 6: a start that cannot succeed fails fast, with exit 2 and a message naming the
 * setting, before any side effect: a port in use, a data directory another node holds, a misspelt
 * LICENSOR_ variable, a PKCS#11 library or PIN that does not work. {@code serve --port} and
 * {@code --data-dir} exist. Run in-process through the command line's own {@code serve}.
 */
@DisplayName("Start-up failures are fast and name the setting")
class StartupFailuresTest {

  @TempDir
  Path dir;

  static Cli cli(Path dataDir) {
    return new Cli().with("LICENSOR_DATA_DIR", dataDir.toString()).with("LICENSOR_HTTP_PLAINTEXT", "true");
  }

  @Test
  @DisplayName("a port in use: exit 2 naming http.port and --port, at once, with nothing made in the data directory")
  void portInUse() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      long began = System.nanoTime();
      Cli.Result r = cli(dir.resolve("data")).run("serve", "--port", Integer.toString(taken.getLocalPort()));
      long millis = (System.nanoTime() - began) / 1_000_000;
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
      assertThat(r.err()).contains("http.port", "--port", "127.0.0.1:" + taken.getLocalPort(), "in use");
      assertThat(dir.resolve("data/world")).as("no world made").doesNotExist();
      assertThat(millis).as("milliseconds to refuse").isLessThan(5_000);
    }
  }

  @Test
  @DisplayName("a second node on a data directory in use: exit 2 naming the directory and the first node's pid")
  void dataDirectoryInUse() {
    Path data;
    try (TestNode first = TestNode.start()) {
      data = first.dataDir;
      Cli.Result second = cli(data).run("serve", "--port", "0");
      assertThat(second.exitCode()).as(second.toString()).isEqualTo(2);
      assertThat(second.err()).contains("in use by another licensor node", "pid " + ProcessHandle.current().pid(),
          data.toAbsolutePath().toString()).doesNotContain("epg-lock");
    }
  }

  @Test
  @DisplayName("a misspelt LICENSOR_ variable: exit 2 naming it and the setting it meant")
  void misspeltVariable() {
    Cli.Result r = cli(dir.resolve("data")).with("LICENSOR_HTTP_PROT", "9000").run("serve");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("LICENSOR_HTTP_PROT: no such setting", "did you mean LICENSOR_HTTP_PORT?");
    assertThat(dir.resolve("data")).doesNotExist();
  }

  @Test
  @DisplayName("a PKCS#11 library that does not load, a PIN the token refuses: exit 2 naming the setting")
  void pkcs11Settings() {
    Cli.Result library = cli(dir.resolve("lib")).with("LICENSOR_HSM_TYPE", "pkcs11")
        .with("LICENSOR_HSM_PKCS11_LIBRARY", dir.resolve("no-such-module.so").toString())
        .with("LICENSOR_HSM_PKCS11_PIN", "1234").run("serve", "--port", "0");
    assertThat(library.exitCode()).as(library.toString()).isEqualTo(2);
    assertThat(library.err()).contains("hsm.pkcs11.library", "no-such-module.so");

    String realLibrary = Pkcs11Token.library(); // the rest needs a token (SoftHSM2 in CI); skipped with the reason without
    Cli.Result pin = cli(dir.resolve("pin")).with("LICENSOR_HSM_TYPE", "pkcs11").with("LICENSOR_HSM_PKCS11_LIBRARY", realLibrary)
        .with("LICENSOR_HSM_PKCS11_PIN", "not-the-pin").with("SOFTHSM2_CONF", System.getenv("SOFTHSM2_CONF"))
        .run("serve", "--port", "0");
    assertThat(pin.exitCode()).as(pin.toString()).isEqualTo(2);
    assertThat(pin.err()).contains("hsm.pkcs11.pin", "LICENSOR_HSM_PKCS11_PIN", "refused the PIN").doesNotContain("not-the-pin");
    assertThat(Files.exists(dir.resolve("pin/world/module.key"))).as("the world is made before the token opens; " +
        "nothing on the token").isTrue();
  }
}
