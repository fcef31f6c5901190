package io.licensor.deploy;

import io.licensor.support.Trust;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25, item 1: the container image Jib wrote without a Docker daemon (target/licensor-image.tar,
 * deploy/image/build.sh). Its configuration is read from the archive (non-root user, /data a volume,
 * the entrypoint), its layers are unpacked into a root file system, and that is run as a container
 * runtime would run it — in a mount namespace of its own with /dev and /proc, chrooted, as the
 * image's user, with the image's environment and command — until the node is ready on HTTPS with
 * its embedded defaults, its data under /data owned by that user. (No OCI runtime runs here: no
 * Docker daemon, no registry.)
 */
@DisplayName("The container image: non-root, /data a volume, and it starts and serves from its own root file system")
class ContainerImageTest {

  static final Path IMAGE = Path.of("target", "licensor-image.tar").toAbsolutePath();
  static Path work;
  static Path root;
  static JsonObject config;
  static Process container;
  static int port;

  @BeforeAll
  static void unpack() throws Exception {
    boolean required = "true".equals(System.getenv("LICENSOR_REQUIRE_IMAGE"));
    if (!Files.exists(IMAGE)) {
      if (required) {
        throw new IllegalStateException("LICENSOR_REQUIRE_IMAGE=true, but " + IMAGE + " is not built (deploy/image/build.sh)");
      }
      Assumptions.abort("no " + IMAGE + ": build it with deploy/image/build.sh");
    }
    boolean rootUser = "0".equals(run(Path.of("."), "id", "-u").strip());
    if (!rootUser) {
      if (required) {
        throw new IllegalStateException("LICENSOR_REQUIRE_IMAGE=true, but running the image's file system needs root (chroot)");
      }
      Assumptions.abort("running the image's root file system needs root (unshare, chroot)");
    }
    work = Files.createTempDirectory("licensor-image-");
    Path archive = Files.createDirectories(work.resolve("archive"));
    run(archive, "tar", "-xf", IMAGE.toString());
    JsonObject manifest = new JsonArray(Files.readString(archive.resolve("manifest.json"))).getJsonObject(0);
    config = new JsonObject(Files.readString(archive.resolve(manifest.getString("Config")))).getJsonObject("config");
    root = Files.createDirectories(work.resolve("rootfs"));
    for (Object layer : manifest.getJsonArray("Layers")) {
      run(root, "tar", "--same-owner", "--same-permissions", "-xf", archive.resolve((String) layer).toString());
    }
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (container != null && container.isAlive()) {
      container.descendants().forEach(ProcessHandle::destroyForcibly);
      container.destroyForcibly();
      container.waitFor(30, TimeUnit.SECONDS);
    }
    if (work != null) {
      try (Stream<Path> files = Files.walk(work)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  static String run(Path dir, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
    return out;
  }

  @Test
  @DisplayName("its configuration: user 65532, /data a volume owned by it (0700), nothing writable by others but /tmp")
  void configuration() throws IOException {
    assertThat(config.getString("User")).isEqualTo("65532:65532");
    assertThat(config.getJsonObject("Volumes").fieldNames()).containsExactly("/data");
    assertThat(config.getString("WorkingDir")).isEqualTo("/data");
    assertThat(config.getJsonArray("Entrypoint").getString(0)).isEqualTo("java");
    assertThat(config.getJsonArray("Entrypoint").encode()).contains("io.licensor.Main");
    assertThat(config.getJsonArray("Cmd")).containsExactly("serve");
    assertThat(config.getJsonObject("ExposedPorts").fieldNames()).contains("8443/tcp");

    PosixFileAttributes data = Files.readAttributes(root.resolve("data"), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    assertThat(PosixFilePermissions.toString(data.permissions())).isEqualTo("rwx------");
    assertThat(Files.getAttribute(root.resolve("data"), "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(65532);
    List<String> loose = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      // (what a run of the image writes in /tmp and /data is the container's, not the image's)
      files.filter(p -> !p.startsWith(root.resolve("tmp")) && !p.startsWith(root.resolve("data"))).forEach(p -> {
        try {
          Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
          int mode = (int) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
          if (!Files.isSymbolicLink(p) && (perms.contains(PosixFilePermission.OTHERS_WRITE) || (mode & 06000) != 0)) {
            loose.add(root.relativize(p) + " " + PosixFilePermissions.toString(perms));
          }
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
    }
    assertThat(loose).as("files others may write, or setuid/setgid").isEmpty();
    assertThat(Files.readString(root.resolve("etc/passwd"))).contains("licensor:x:65532:65532");
  }

  @Test
  @DisplayName("it starts as user 65532 on embedded defaults and is ready on HTTPS; its data is that user's")
  void startsAndServes() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> command = new ArrayList<>(List.of("env", "-i"));
    for (Object e : config.getJsonArray("Env")) {
      command.add((String) e);
    }
    // on loopback for the test (the image listens on 0.0.0.0), on a free port
    command.addAll(List.of("LICENSOR_HTTP_HOST=127.0.0.1", "LICENSOR_HTTP_PORT=" + port));
    String user = config.getString("User");
    List<String> exec = new ArrayList<>();
    exec.add("/opt/java/bin/java");
    config.getJsonArray("Entrypoint").stream().skip(1).forEach(a -> exec.add((String) a));
    config.getJsonArray("Cmd").forEach(a -> exec.add((String) a));
    Files.createDirectories(root.resolve("dev"));
    Files.createDirectories(root.resolve("proc"));
    String inside = "mount --rbind /dev '" + root.resolve("dev") + "' && mount -t proc proc '" + root.resolve("proc")
        + "' && exec " + String.join(" ", command) + " /usr/sbin/chroot --userspec=" + user + " '" + root + "' "
        + String.join(" ", exec.stream().map(a -> "'" + a + "'").toList());
    Path log = work.resolve("container.log");
    container = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "--fork", "sh", "-c", inside)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();

    Path cert = root.resolve("data").resolve("tls").resolve("cert.pem");
    long deadline = System.currentTimeMillis() + 180_000;
    HttpResponse<String> ready = null;
    while (System.currentTimeMillis() < deadline && container.isAlive()) {
      if (Files.exists(cert)) {
        try {
          HttpClient client = Trust.trusting(cert);
          ready = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/health/ready"))
              .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
          if (ready.statusCode() == 200) {
            break;
          }
        } catch (IOException | RuntimeException notYet) {
          // starting
        }
      }
      Thread.sleep(500);
    }
    assertThat(ready).as("the node in the image never answered; its log:\n" + Files.readString(log)).isNotNull();
    assertThat(ready.statusCode()).as(Files.readString(log)).isEqualTo(200);
    assertThat(ready.body()).contains("\"UP\"");

    ProcessHandle java = container.descendants().filter(h -> h.info().command().orElse("").endsWith("/java")).findFirst()
        .orElseThrow();
    String status = Files.readString(Path.of("/proc", Long.toString(java.pid()), "status"));
    assertThat(status).containsPattern("(?m)^Uid:\\s+65532\\s+65532\\s+65532\\s+65532");
    try (Stream<Path> files = Files.walk(root.resolve("data"), 2)) {
      files.forEach(p -> {
        try {
          assertThat(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).as(p.toString()).isEqualTo(65532);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("data/world/module.key"))))
        .isEqualTo("rw-------");

    java.destroy();
    assertThat(container.waitFor(60, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
    assertThat(Files.readString(log)).contains("licensor listening on https://127.0.0.1:" + port);
  }
}
