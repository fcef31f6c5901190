package io.licensor.deploy;

import io.licensor.support.NodeJs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25, item 1: the deployment files in deploy/ are checked offline by tools that know their
 * formats: the Kubernetes manifests against the Kubernetes API's schemas (kubernetes-models, npm),
 * the compose file by docker-compose (Debian's), the systemd unit by systemd-analyze verify and
 * its sandboxing by systemd-analyze security. Each check is also shown to refuse a broken file.
 */
@DisplayName("Deployment files: Kubernetes manifests, the compose file and the systemd unit validate offline")
class DeploymentFilesTest {

  static final Path DEPLOY = Path.of("deploy").toAbsolutePath();
  static final Path LINT = Path.of("src", "test", "deploy-lint").toAbsolutePath();

  record Run(int exit, String output) {
  }

  static Run run(Path dir, Map<String, String> env, String... command) throws IOException, InterruptedException {
    Path log = Files.createTempFile("licensor-deploy-", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    return new Run(p.exitValue(), out);
  }

  static String require(String program, String variable, String why) {
    String found = NodeJs.which(program);
    if (found == null && "true".equals(System.getenv(variable))) {
      throw new IllegalStateException(variable + "=true, but there is no " + program + " on the PATH");
    }
    Assumptions.assumeTrue(found != null, "no " + program + " on the PATH (" + why + ")");
    return found;
  }

  @Test
  @DisplayName("every Kubernetes manifest validates against the API's schemas; a wrong type does not")
  void kubernetesManifests(@TempDir Path tmp) throws Exception {
    NodeJs.requireNode();
    if (!Files.isDirectory(LINT.resolve("node_modules").resolve("kubernetes-models"))) {
      Run ci = run(LINT, Map.of(), "npm", "ci", "--no-audit", "--no-fund");
      assertThat(ci.exit()).as(ci.output()).isZero();
    }
    Run ok = run(LINT, Map.of(), "node", "validate.mjs", DEPLOY.resolve("kubernetes").toString());
    assertThat(ok.exit()).as(ok.output()).isZero();
    assertThat(ok.output()).contains("ok licensor.yaml: StatefulSet licensor").contains("ok licensor.yaml: NetworkPolicy licensor")
        .contains("0 invalid");

    String manifest = Files.readString(DEPLOY.resolve("kubernetes").resolve("licensor.yaml"));
    assertThat(manifest).contains("runAsNonRoot: true").contains("readOnlyRootFilesystem: true").contains("drop: [ALL]")
        .contains("path: /health/ready").doesNotContainPattern("(?i)password:\\s*\\S");
    Files.writeString(tmp.resolve("broken.yaml"), manifest.replace("containerPort: 8443", "containerPort: \"8443/tcp\""));
    Run broken = run(LINT, Map.of(), "node", "validate.mjs", tmp.toString());
    assertThat(broken.exit()).isEqualTo(1);
    assertThat(broken.output()).contains("StatefulSet licensor").contains("containerPort must be integer");
  }

  @Test
  @DisplayName("the compose file (three nodes, PostgreSQL, SMTP) is valid to docker-compose, and needs its secrets")
  void composeFile(@TempDir Path tmp) throws Exception {
    require("docker-compose", "LICENSOR_REQUIRE_DEPLOY_TOOLS", "Debian's docker-compose package");
    Path compose = DEPLOY.resolve("compose");
    Map<String, String> secrets = Map.of("LICENSOR_DATABASE_PASSWORD", "not-a-real-one",
        "LICENSOR_WORLD_MODULE_PASSPHRASE", "not-a-real-one-either");
    Run config = run(compose, secrets, "docker-compose", "-f", "compose.yaml", "config");
    assertThat(config.exit()).as(config.output()).isZero();
    for (String service : List.of("licensor-a:", "licensor-b:", "licensor-c:", "postgres:", "smtp:", "world-a:")) {
      assertThat(config.output()).contains("  " + service);
    }
    assertThat(config.output()).contains("service_completed_successfully").contains("read_only: true")
        .contains("LICENSOR_CLUSTER_MEMBERS: licensor-a:5701,licensor-b:5701,licensor-c:5701");
    Run noSecrets = run(compose, Map.of(), "docker-compose", "-f", "compose.yaml", "config", "-q");
    assertThat(noSecrets.exit()).isNotZero();
    assertThat(noSecrets.output()).contains("set LICENSOR_DATABASE_PASSWORD");
    Files.writeString(tmp.resolve("compose.yaml"), Files.readString(compose.resolve("compose.yaml"))
        .replace("    read_only: true", "    read_only: sometimes").replace("  read_only: true", "  read_only: sometimes"));
    Run broken = run(tmp, secrets, "docker-compose", "-f", "compose.yaml", "config", "-q");
    assertThat(broken.exit()).as(broken.output()).isNotZero();
  }

  @Test
  @DisplayName("the systemd unit verifies, and systemd-analyze rates its sandbox 2.0 or better (lower is safer)")
  void systemdUnit(@TempDir Path tmp) throws Exception {
    require("systemd-analyze", "LICENSOR_REQUIRE_DEPLOY_TOOLS", "Debian's systemd package");
    Path jar = Files.createFile(tmp.resolve("licensor.jar"));
    String unit = Files.readString(DEPLOY.resolve("systemd").resolve("licensor.service"))
        .replace("/opt/licensor/licensor.jar", jar.toString());
    Path file = Files.writeString(tmp.resolve("licensor.service"), unit);
    Run verify = run(tmp, Map.of("SYSTEMD_LOG_LEVEL", "warning"), "systemd-analyze", "verify", file.toString());
    assertThat(verify.exit()).as(verify.output()).isZero();
    assertThat(verify.output()).as(verify.output()).doesNotContainIgnoringCase("unknown");
    Run security = run(tmp, Map.of(), "systemd-analyze", "security", "--offline=yes", "--no-pager", file.toString());
    Matcher m = Pattern.compile("Overall exposure level for licensor.service: ([0-9.]+)").matcher(security.output());
    assertThat(m.find()).as(security.output()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).as("exposure").isLessThanOrEqualTo(2.0);

    Path loose = Files.writeString(tmp.resolve("loose.service"), unit.replaceAll("(?m)^(Protect|Private|Restrict|NoNew|System|Capability|Lock|Remove|Device|UMask|Ambient)[A-Za-z]*=.*$", ""));
    Run looser = run(tmp, Map.of(), "systemd-analyze", "security", "--offline=yes", "--no-pager", loose.toString());
    Matcher l = Pattern.compile("Overall exposure level for loose.service: ([0-9.]+)").matcher(looser.output());
    assertThat(l.find()).as(looser.output()).isTrue();
    assertThat(Double.parseDouble(l.group(1))).as("the same unit without its hardening").isGreaterThan(5.0);
    Files.writeString(tmp.resolve("typo.service"), unit.replace("ExecStart=/usr/bin/java", "ExecStart=/usr/bin/no-such-java"));
    Run typo = run(tmp, new HashMap<>(), "systemd-analyze", "verify", tmp.resolve("typo.service").toString());
    assertThat(typo.exit()).isNotZero();
  }
}
