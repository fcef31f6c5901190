package io.licensor.client;

import io.licensor.support.Issuer;
import io.licensor.support.NodeJs;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 24, items 2 and 4: the JavaScript/TypeScript client (sdk/js, on the jose npm package) in
 * Node against a real node: this test makes the node, tenants and tokens, runs {@code node --test}
 * on sdk/js/test, and checks that files cross between the two clients both ways.
 */
@DisplayName("JavaScript client (Node)")
class JavaScriptClientTest {

  static TestNode node;

  @BeforeAll
  static void start() {
    NodeJs.require();
    node = TestNode.start(new JsonObject().put("limits", new JsonObject().put("tenantRatePerSecond", 4)));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("node --test sdk/js/test passes against the node; a Java-protected file opens in JavaScript and the reverse")
  void javaScriptTestsPass() throws Exception {
    Issuer rsa = node.createTenant("js-rsa", "RSA-2048");
    Issuer ec = node.createTenant("js-ec", "EC-P256");
    Issuer keep = node.createTenant("js-keep", "RSA-2048");
    String url = "http://127.0.0.1:" + node.node.port() + "/";
    Map<String, String> env = new HashMap<>();
    env.put("LICENSOR_URL", url);
    env.put("OPERATOR_TOKEN", node.operatorToken());
    env.put("TOKEN_ALICE_JS", rsa.token("alice@js-rsa.test", List.of(), List.of(), 3600, "licensor"));
    env.put("TOKEN_BOB_JS", rsa.token("bob@js-rsa.test", List.of(), List.of(), 3600, "licensor"));
    env.put("TOKEN_CAROL_JS", rsa.token("carol@js-rsa.test", List.of(), List.of(), 3600, "licensor"));
    env.put("TOKEN_ADMIN_JS", rsa.token("admin@js-rsa.test", List.of("tenant-admin"), List.of(), 3600, "licensor"));
    env.put("TOKEN_FORGED_JS", Issuer.rsa(rsa.issuer()).token("bob@js-rsa.test", List.of()));
    env.put("TOKEN_ALICE_EC", ec.token("alice@js-ec.test", List.of(), List.of(), 3600, "licensor"));
    env.put("TOKEN_BOB_EC", ec.token("bob@js-ec.test", List.of(), List.of(), 3600, "licensor"));
    env.put("TOKEN_ALICE_KEEP", keep.token("alice@js-keep.test", List.of(), List.of(), 3600, "licensor"));
    env.put("TOKEN_BOB_KEEP", keep.token("bob@js-keep.test", List.of(), List.of(), 3600, "licensor"));

    Path dir = Files.createTempDirectory("licensor-js-");
    Path javaMade = dir.resolve("java.lprot");
    Path jsMade = dir.resolve("js.lprot");
    LicensorClient alice = LicensorClient.builder(URI.create(url)).token(env.get("TOKEN_ALICE_JS")).build();
    try (var out = Files.newOutputStream(javaMade)) {
      alice.protect("js-rsa", Policy.of(Policy.Grant.parse("bob@js-rsa.test:VIEW")), "java.txt",
          new ByteArrayInputStream("made by the Java client".getBytes(StandardCharsets.UTF_8)), out);
    }
    env.put("JAVA_MADE_FILE", javaMade.toString());
    env.put("JS_MADE_FILE", jsMade.toString());

    NodeJs.Run run = NodeJs.run(List.of("node", "--test", "--test-reporter=spec", "test/"), env, 300);
    System.out.println(run.output());
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("pass 8").contains("fail 0");

    LicensorClient bob = LicensorClient.builder(URI.create(url)).token(env.get("TOKEN_BOB_JS")).build();
    LicensorClient.Opened opened = bob.open(Files.readAllBytes(jsMade), Right.VIEW);
    assertThat(new String(opened.content(), StandardCharsets.UTF_8)).isEqualTo("Q3 plan");
    assertThat(opened.container().name()).isEqualTo("plan.txt");
  }
}
