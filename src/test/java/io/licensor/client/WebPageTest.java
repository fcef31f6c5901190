package io.licensor.client;

import io.licensor.support.Issuer;
import io.licensor.support.NodeJs;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 24, item 3: the node's web page (web.enabled) in a real headless Chromium (Debian's
 * {@code chromium}, driven by puppeteer-core from sdk/js/test-browser/page.mjs): alice protects a
 * file in the browser, bob opens it there, carol is refused; the file opens with the Java client
 * too; after the tenant is cancelled, the page refuses to open it.
 */
@DisplayName("Web page in a real browser")
class WebPageTest {

  static TestNode node;
  static String chromium;

  @BeforeAll
  static void start() {
    NodeJs.require();
    chromium = NodeJs.which("chromium");
    if (chromium == null) {
      if ("true".equals(System.getenv("LICENSOR_REQUIRE_NODE"))) {
        throw new IllegalStateException("LICENSOR_REQUIRE_NODE=true, but there is no chromium on the PATH");
      }
      Assumptions.abort("no chromium on the PATH (Debian's chromium package): the web page's test needs a real browser");
    }
    node = TestNode.start(new JsonObject().put("web", new JsonObject().put("enabled", true)));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("protect in the browser, open there as the grantee, refused for others and after a cancel")
  void protectOpenRefused() throws Exception {
    Issuer idp = node.createTenant("web", "RSA-2048");
    String url = "http://127.0.0.1:" + node.node.port() + "/";
    Path work = Files.createTempDirectory("licensor-web-");
    Map<String, String> env = new HashMap<>();
    env.put("LICENSOR_URL", url);
    env.put("CHROMIUM", chromium);
    env.put("WORK_DIR", work.toString());
    env.put("HOME", work.toString()); // chromium's profile and crash dirs under the test's directory
    env.put("TOKEN_ALICE", idp.token("alice@web.test", List.of(), List.of(), 3600, "licensor"));
    env.put("TOKEN_BOB", idp.token("bob@web.test", List.of(), List.of(), 3600, "licensor"));
    env.put("TOKEN_CAROL", idp.token("carol@web.test", List.of(), List.of(), 3600, "licensor"));

    env.put("PHASE", "protect-open");
    NodeJs.Run first = NodeJs.run(List.of("node", "test-browser/page.mjs"), env, 240);
    System.out.println(first.output());
    assertThat(first.exitCode()).as(first.output()).isZero();
    assertThat(first.output()).contains("web-page {");

    // the browser's file is an ordinary protected file: the Java client opens it as bob
    byte[] protectedFile = Files.readAllBytes(work.resolve("plan.txt.lprot"));
    LicensorClient bob = LicensorClient.builder(URI.create(url)).token(env.get("TOKEN_BOB")).build();
    assertThat(new String(bob.open(protectedFile, Right.VIEW).content(), StandardCharsets.UTF_8))
        .isEqualTo("Q4 plan: acquire northwind\n");

    assertThat(node.http.post("/v1/tenants/web/cancel", node.operatorToken(), new JsonObject()).status()).isEqualTo(200);
    env.put("PHASE", "refused");
    NodeJs.Run second = NodeJs.run(List.of("node", "test-browser/page.mjs"), env, 240);
    System.out.println(second.output());
    assertThat(second.exitCode()).as(second.output()).isZero();
    assertThat(second.output()).contains("subscription-cancelled");
  }
}
