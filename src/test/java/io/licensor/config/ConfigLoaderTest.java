package io.licensor.config;

import io.licensor.cluster.ClusterSetup;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Configuration: defaults, file, environment, and errors that name the setting")
class ConfigLoaderTest {

  @Test
  @DisplayName("no configuration at all gives the embedded defaults")
  void defaults() {
    LicensorConfig c = ConfigLoader.load(new JsonObject(), Map.of());
    assertThat(c.databaseUrl()).isNull();
    assertThat(c.httpPort()).isEqualTo(8443);
    assertThat(c.httpPlaintext()).isFalse();
    assertThat(c.httpHost()).isEqualTo("127.0.0.1");
    assertThat(c.hsmType()).isEqualTo("software");
    assertThat(c.hsmSessions()).as("one per core by default").isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(c.devEnabled()).isFalse();
  }

  @Test
  @DisplayName("environment variables override the file, named LICENSOR_ + the path in upper snake case")
  void environmentOverrides() {
    assertThat(ConfigLoader.envNameOf("http.maxBodyBytes")).isEqualTo("LICENSOR_HTTP_MAX_BODY_BYTES");
    LicensorConfig c = ConfigLoader.load(new JsonObject().put("http", new JsonObject().put("port", 9000)),
        Map.of("LICENSOR_HTTP_PORT", "9443", "LICENSOR_HSM_QUEUE_CAPACITY", "7", "LICENSOR_DEV_ENABLED", "true"));
    assertThat(c.httpPort()).isEqualTo(9443);
    assertThat(c.hsmQueueCapacity()).isEqualTo(7);
    assertThat(c.devEnabled()).isTrue();
  }

  @Test
  @DisplayName("every shipped example setting is known and valid")
  void shippedExampleLoads() throws Exception {
    Path example = Path.of("conf/licensor.json");
    LicensorConfig c = ConfigLoader.fromFileAndEnv(example, Map.of());
    assertThat(c.httpPort()).isPositive();
    // the example sizes HSM sessions as the embedded default does (to the machine), not to one
    assertThat(c.hsmSessions()).isEqualTo(ConfigLoader.load(new JsonObject(), Map.of()).hsmSessions());
  }

  @Test
  @DisplayName("development mode (a local issuer of any token) is refused unless http.host is loopback")
  void devModeOnLoopbackOnly() {
    for (String host : List.of("0.0.0.0", "::", "192.0.2.10")) {
      assertThatThrownBy(() -> ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_DEV_ENABLED", "true", "LICENSOR_HTTP_HOST", host)))
          .as(host).hasMessageContaining("dev.enabled").hasMessageContaining("loopback");
    }
    assertThat(ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_DEV_ENABLED", "true", "LICENSOR_HTTP_HOST", "127.0.0.1"))
        .devEnabled()).isTrue();
  }

  @Test
  @DisplayName("a cluster needs a shared database, and the SMTP password stays out of the file")
  void clusterAndMailSettings(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject().put("cluster", new JsonObject().put("enabled", true)), Map.of()))
        .hasMessageContaining("cluster.enabled").hasMessageContaining("database.url");
    LicensorConfig clustered = ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_CLUSTER_ENABLED", "true",
        "LICENSOR_DATABASE_URL", "postgresql://db.internal:5432/licensor", "LICENSOR_CLUSTER_MEMBERS", "10.0.0.1:5701,10.0.0.2"));
    assertThat(clustered.clusterEnabled()).isTrue();
    var hz = ClusterSetup.hazelcastConfig(clustered);
    assertThat(hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).containsExactly("10.0.0.1:5701", "10.0.0.2");
    assertThat(hz.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()).isFalse();
    assertThat(hz.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    Path file = dir.resolve("licensor.json");
    Files.writeString(file, new JsonObject().put("mail", new JsonObject().put("password", "hunter2")).encode());
    assertThatThrownBy(() -> ConfigLoader.fromFileAndEnv(file, Map.of()))
        .hasMessageContaining("mail.password").hasMessageContaining("LICENSOR_MAIL_PASSWORD").hasMessageNotContaining("hunter2");
    assertThat(ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_MAIL_PASSWORD", "from-env")).mailPassword()).isEqualTo("from-env");
  }

  @Test
  @DisplayName("a variable set to the empty string is an unset one: the default holds")
  void emptyVariableIsUnset() {
    LicensorConfig config = ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_DATABASE_URL", "", "LICENSOR_HTTP_PORT", ""));
    assertThat(config.databaseUrl()).as("the embedded database").isNull();
    assertThat(config.httpPort()).isEqualTo(8443);
  }

  @Test
  @DisplayName("invalid and unknown settings stop start-up with a message naming them")
  void invalidSettingsAreNamed() {
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_HTTP_PORT", "eighty")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("LICENSOR_HTTP_PORT");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject().put("hsm", new JsonObject().put("queueCapacity", 0)), Map.of()))
        .hasMessageContaining("hsm.queueCapacity");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject().put("http", new JsonObject().put("prot", 1)), Map.of()))
        .hasMessageContaining("http.prot");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject().put("hsm", new JsonObject().put("type", "magic")), Map.of()))
        .hasMessageContaining("hsm.type");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject().put("database", new JsonObject().put("url", "mysql://x")), Map.of()))
        .hasMessageContaining("database.url");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_IDENTITY_OPERATOR_ISSUERS", "[{\"issuer\":\"x\"}]")))
        .hasMessageContaining("identity.operatorIssuers[0]");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_IDENTITY_OPERATOR_ISSUERS",
        "[{\"issuer\":\"https://idp.example\",\"jwksUri\":\"http://idp.example/keys\"}]")))
        .hasMessageContaining("identity.operatorIssuers[0].jwksUri").hasMessageContaining("https");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_IDENTITY_OPERATOR_ISSUERS",
        "[{\"issuer\":\"https://idp.example\",\"discovery\":true,\"jwksFile\":\"keys.json\"}]")))
        .hasMessageContaining("exactly one of");
    assertThat(ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_IDENTITY_OPERATOR_ISSUERS",
        "[{\"issuer\":\"https://idp.example/v2.0\",\"discovery\":true}]")).operatorIssuers().size()).isEqualTo(1);
  }

  @Test
  @DisplayName("plain HTTP and a plain event bus are allowed only when asked for, and only on loopback")
  void plaintextOnlyOnLoopback() {
    LicensorConfig local = ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_HTTP_PLAINTEXT", "true"));
    assertThat(local.httpPlaintext()).isTrue();
    assertThat(local.httpPort()).isEqualTo(8080);
    assertThat(ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_HTTP_PLAINTEXT", "true", "LICENSOR_HTTP_HOST", "::1"))
        .httpPlaintext()).isTrue();
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_HTTP_PLAINTEXT", "true",
        "LICENSOR_HTTP_HOST", "0.0.0.0"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.plaintext").hasMessageContaining("0.0.0.0");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_HTTP_PLAINTEXT", "true",
        "LICENSOR_HTTP_HOST", "192.0.2.10"))).hasMessageContaining("http.plaintext");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_CLUSTER_PLAINTEXT", "true",
        "LICENSOR_CLUSTER_HOST", "10.1.2.3"))).hasMessageContaining("cluster.plaintext");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_HTTP_TLS_CERT_FILE", "/etc/hostname")))
        .hasMessageContaining("http.tls.certFile").hasMessageContaining("http.tls.keyFile");
    assertThatThrownBy(() -> ConfigLoader.load(new JsonObject(), Map.of("LICENSOR_HTTP_TLS_CERT_FILE", "/nonexistent/c.pem",
        "LICENSOR_HTTP_TLS_KEY_FILE", "/nonexistent/k.pem"))).hasMessageContaining("http.tls.certFile: cannot read");
  }

  @Test
  @DisplayName("a password written in the configuration file is refused")
  void passwordInFileRefused(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(file, "{\"database\":{\"url\":\"postgresql://h/db\",\"password\":\"hunter2\"}}");
    assertThatThrownBy(() -> ConfigLoader.fromFileAndEnv(file, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("database.password").hasMessageNotContaining("hunter2");
    LicensorConfig fromEnv = ConfigLoader.fromFileAndEnv(null, Map.of("LICENSOR_DATABASE_PASSWORD", "s3cret"));
    assertThat(fromEnv.databasePassword()).isEqualTo("s3cret");
    assertThat(fromEnv.toJson().encode()).doesNotContain("s3cret");
  }
}
