package io.licensor.incidents;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Breach response through the public API, with e-mail delivered over SMTP to a real SMTP server
 * (GreenMail) on loopback: each incident type's playbook, its e-mail to every affected tenant
 * admin, and an SMTP outage that delays delivery and loses nothing.
 */
@DisplayName("Incidents run their playbooks and tell the tenant admins")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IncidentTest {

  static int smtpPort;
  static GreenMail smtp;
  static TestNode node;
  static final Map<String, Issuer> idps = new HashMap<>();

  @BeforeAll
  static void start() {
    smtpPort = ClusterFixture.freePorts(1)[0];
    smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
    node = TestNode.start(new JsonObject()
        .put("mail", new JsonObject().put("mode", "smtp").put("host", "127.0.0.1").put("port", smtpPort)
            .put("starttls", "disabled").put("from", "security@licensor.test").put("pollMillis", 100)
            .put("maxBackoffSeconds", 1))
        .put("incidents", new JsonObject().put("campaignRatePerSecond", 200).put("campaignConcurrency", 8)
            .put("customerKeyRecheckSeconds", 1)));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      assertThat(node.eventLoopWarnings()).isEmpty();
      node.close();
    }
    if (smtp != null) {
      smtp.stop();
    }
  }

  static String op() {
    return node.operatorToken();
  }

  static Issuer tenant(String id, String algorithm) {
    Issuer idp = node.createTenant(id, algorithm);
    idps.put(id, idp);
    return idp;
  }

  static Http.Response declare(JsonObject body) {
    return node.http.post("/v1/incidents", op(), body);
  }

  static JsonObject incident(String id) {
    Http.Response r = node.http.get("/v1/incidents/" + id, op());
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json();
  }

  /** Polls the incident until the condition holds (at most 30 s). */
  static JsonObject await(String id, Predicate<JsonObject> done) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    JsonObject view = incident(id);
    while (!done.test(view) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      view = incident(id);
    }
    assertThat(done.test(view)).as(view.encodePrettily()).isTrue();
    return view;
  }

  static long versions(String tenant) {
    return TestDatabase.count(node.databaseUrl, "SELECT count(*) FROM key_versions WHERE tenant_id = '" + tenant + "'");
  }

  static List<MimeMessage> mailTo(String address) {
    return Arrays.stream(smtp.getReceivedMessages()).filter(m -> {
      try {
        return Arrays.stream(m.getAllRecipients()).anyMatch(a -> a.toString().equals(address));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).toList();
  }

  /** The one message of these whose subject contains {@code part}. */
  static MimeMessage subjected(List<MimeMessage> mail, String part) {
    List<MimeMessage> found = mail.stream().filter(m -> {
      try {
        return m.getSubject().contains(part);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).toList();
    assertThat(found).as("messages with '" + part + "' in the subject").hasSize(1);
    return found.get(0);
  }

  static String text(MimeMessage m) {
    try {
      return m.getContent().toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @Order(1)
  @DisplayName("key-compromised for 2 of 3 tenants re-keys exactly those 2; old content still licenses; each admin told, then told the new version")
  void keyCompromised() throws Exception {
    for (String t : List.of("kc-one", "kc-two", "kc-three")) {
      tenant(t, "EC-P256");
    }
    Map<String, String> oldContent = new HashMap<>();
    for (String t : List.of("kc-one", "kc-two", "kc-three")) {
      oldContent.put(t, Licensing.publishOk(node.http, t, idps.get(t), "before-" + t));
    }
    Http.Response declared = declare(new JsonObject().put("type", "key-compromised")
        .put("scope", new JsonObject().put("tenants", new JsonArray().add("kc-one").add("kc-two")))
        .put("summary", "An operator laptop with key material was stolen"));
    assertThat(declared.status()).as(declared.toString()).isEqualTo(201);
    JsonObject view = declared.json();
    assertThat(view.getString("plan")).contains("Re-key each tenant in scope");
    assertThat(view.getJsonArray("actions").encode()).contains("re-key campaign over 2 tenant(s)");
    String id = view.getString("id");

    view = await(id, v -> v.getJsonObject("campaign").getLong("remaining") == 0
        && v.getJsonObject("notifications").getLong("sent") == 4);
    assertThat(view.getJsonObject("campaign").getLong("rekeyed")).isEqualTo(2);
    assertThat(view.getString("state")).isEqualTo("campaign-completed");
    assertThat(versions("kc-one")).isEqualTo(2);
    assertThat(versions("kc-two")).isEqualTo(2);
    assertThat(versions("kc-three")).isEqualTo(1);
    for (String t : List.of("kc-one", "kc-two", "kc-three")) {
      Http.Response licensed = Licensing.license(node.http, t, idps.get(t), oldContent.get(t));
      assertThat(licensed.status()).as(licensed.toString()).isEqualTo(200);
      assertThat(licensed.json().getString("kid")).isEqualTo(t + ":1");
    }
    assertThat(Licensing.currentKid(node.http, "kc-one", idps.get("kc-one"))).isEqualTo("kc-one:2");

    for (String t : List.of("kc-one", "kc-two")) {
      List<MimeMessage> mail = mailTo("admin@" + t + ".test");
      assertThat(mail).hasSize(2);
      MimeMessage declaredMail = subjected(mail, "Security incident");
      assertThat(declaredMail.getSubject()).contains(id, "key-compromised", t);
      assertThat(text(declaredMail)).contains("What you must do", "re-keyed", "Refresh any copy",
          "GET /v1/tenants/" + t + "/keys/current").doesNotContain("{tid}", "one you brought");
      MimeMessage outcome = subjected(mail, "re-keyed to");
      assertThat(outcome.getSubject()).contains(id, t + ":2");
      assertThat(text(outcome)).contains("its current key is now " + t + ":2 (EC-P256", "keeps opening");
    }
    assertThat(mailTo("admin@kc-three.test")).isEmpty();
    JsonObject trail = node.http.get("/v1/tenants/kc-one/audit", op()).json();
    assertThat(trail.getBoolean("chainValid")).isTrue();
    assertThat(trail.getJsonArray("events").encode()).contains("incident.declared", "key.rekey", "incident.notified");
  }

  @Test
  @Order(2)
  @DisplayName("unauthorized-use re-keys nothing, says why, and returns the key-usage audit of the scope")
  void unauthorizedUse() throws Exception {
    Issuer idp = tenant("misuse", "EC-P256");
    String pl = Licensing.publishOk(node.http, "misuse", idp, "doc");
    for (int i = 0; i < 3; i++) {
      assertThat(Licensing.license(node.http, "misuse", idp, pl).status()).isEqualTo(200);
    }
    Thread.sleep(300); // key-use records are written in batches every 50 ms
    Http.Response declared = declare(new JsonObject().put("type", "unauthorized-use")
        .put("scope", new JsonObject().put("tenants", new JsonArray().add("misuse")))
        .put("summary", "A contractor's account licensed documents it should not have"));
    assertThat(declared.status()).as(declared.toString()).isEqualTo(201);
    JsonObject view = declared.json();
    assertThat(view.getBoolean("rekey")).isFalse();
    assertThat(view.getString("rekeyReason")).contains("would not");
    assertThat(view.getJsonObject("campaign").getLong("total")).isZero();
    JsonObject usage = view.getJsonObject("usageReport").getJsonObject("tenants").getJsonObject("misuse");
    assertThat(usage.getLong("events")).isGreaterThanOrEqualTo(4);
    assertThat(usage.getJsonArray("usage").encode()).contains("license.issued", "bob@misuse.test", "publish.issued");

    await(view.getString("id"), v -> v.getJsonObject("notifications").getLong("sent") == 1);
    Thread.sleep(500);
    assertThat(versions("misuse")).isEqualTo(1);
    List<MimeMessage> mail = mailTo("admin@misuse.test");
    assertThat(mail).hasSize(1);
    assertThat(mail.get(0).getSubject()).contains("unauthorized-use");
    // the tenant's part of the usage report is in the message itself, and the audit it comes from is named
    assertThat(text(mail.get(0))).contains("No re-key is needed", "Revoke the credentials", "license.issued ok by bob@misuse.test",
        "x publish.issued", "GET /v1/tenants/misuse/audit?from=").doesNotContain("{tid}", "attached");
  }

  @Test
  @Order(3)
  @DisplayName("hsm-vulnerability waits for the HSM update, then re-keys; the update is recorded once")
  void hsmVulnerability() throws Exception {
    tenant("hsm-one", "EC-P256");
    Http.Response declared = declare(new JsonObject().put("type", "hsm-vulnerability")
        .put("scope", new JsonObject().put("tenants", new JsonArray().add("hsm-one")))
        .put("summary", "Firmware advisory for our HSM model").put("hsmGeneration", "ExampleHSM fw 12.50"));
    assertThat(declared.status()).as(declared.toString()).isEqualTo(201);
    String id = declared.json().getString("id");
    JsonObject view = await(id, v -> v.getJsonObject("notifications").getLong("sent") == 1);
    assertThat(view.getString("state")).isEqualTo("awaiting-hsm-update");
    Thread.sleep(500); // the campaign runner ticks every 200 ms: it must leave this tenant alone
    assertThat(versions("hsm-one")).isEqualTo(1);
    assertThat(mailTo("admin@hsm-one.test").get(0).getSubject()).contains("hsm-vulnerability");

    Http.Response updated = node.http.post("/v1/incidents/" + id + "/hsm-updated", op(),
        new JsonObject().put("hsmUpdate", "ExampleHSM fw 12.60"));
    assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
    await(id, v -> v.getString("state").equals("campaign-completed") && v.getJsonObject("notifications").getLong("sent") == 2);
    assertThat(versions("hsm-one")).isEqualTo(2);
    // the follow-up: the re-key the first e-mail announced is done, to this version
    assertThat(text(subjected(mailTo("admin@hsm-one.test"), "Security incident"))).contains("a second", "once the service's HSMs are updated");
    MimeMessage done = subjected(mailTo("admin@hsm-one.test"), "re-keyed to");
    assertThat(done.getSubject()).contains("hsm-one:2");
    Http.Response again = node.http.post("/v1/incidents/" + id + "/hsm-updated", op(),
        new JsonObject().put("hsmUpdate", "again"));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.slug()).isEqualTo("incident-state");
  }

  @Test
  @Order(4)
  @DisplayName("an SMTP outage delays the e-mail; nothing is lost when the server is back")
  void smtpOutage() throws Exception {
    tenant("outage", "EC-P256");
    smtp.stop();
    try {
      Http.Response declared = declare(new JsonObject().put("type", "key-compromised")
          .put("scope", new JsonObject().put("tenants", new JsonArray().add("outage")))
          .put("summary", "Declared while the mail server is down"));
      assertThat(declared.status()).isEqualTo(201);
      String id = declared.json().getString("id");
      JsonObject view = await(id, v -> v.getJsonObject("notifications").containsKey("lastError"));
      assertThat(view.getJsonObject("notifications").getLong("pending")).isGreaterThanOrEqualTo(1);
      assertThat(view.getJsonObject("notifications").getLong("sent")).isZero();
      Thread.sleep(1500); // a few more failed attempts
      smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
      smtp.start();
      await(id, v -> v.getJsonObject("notifications").getLong("sent") == 2);
      assertThat(mailTo("admin@outage.test")).hasSize(2);
      assertThat(TestDatabase.count(node.databaseUrl, "SELECT max(attempts) FROM outbox WHERE tenant_id = 'outage'"))
          .isGreaterThan(1);
    } finally {
      if (!smtp.isRunning()) {
        smtp.start();
      }
    }
  }

  @Test
  @Order(5)
  @DisplayName("a cancelled tenant in scope is skipped and reported, and its admin is still told")
  void cancelledTenantsAreSkipped() throws Exception {
    tenant("gone-away", "EC-P256");
    tenant("still-here", "EC-P256");
    assertThat(node.http.post("/v1/tenants/gone-away/cancel", op(), "").status()).isEqualTo(200);
    Http.Response declared = declare(new JsonObject().put("type", "key-compromised")
        .put("scope", new JsonObject().put("tenants", new JsonArray().add("gone-away").add("still-here")))
        .put("summary", "Scope with a cancelled subscription"));
    assertThat(declared.status()).isEqualTo(201);
    JsonObject view = await(declared.json().getString("id"), v -> v.getJsonObject("campaign").getLong("remaining") == 0
        && v.getJsonObject("notifications").getLong("sent") == 3);
    assertThat(view.getJsonObject("campaign").getLong("rekeyed")).isEqualTo(1);
    assertThat(view.getJsonObject("campaign").getLong("skipped")).isEqualTo(1);
    assertThat(view.getJsonObject("campaign").getJsonArray("exceptions").encode())
        .contains("gone-away", "skipped", "subscription cancelled");
    assertThat(versions("gone-away")).isEqualTo(1);
    assertThat(versions("still-here")).isEqualTo(2);
    assertThat(mailTo("admin@gone-away.test")).hasSize(1);
    assertThat(text(mailTo("admin@gone-away.test").get(0))).contains("subscription is cancelled").doesNotContain("What you must do");
    assertThat(mailTo("admin@still-here.test")).hasSize(2);
  }

  @Test
  @Order(6)
  @DisplayName("bad declarations get a clear problem and create nothing")
  void badDeclarations() {
    long before = TestDatabase.count(node.databaseUrl, "SELECT count(*) FROM incidents");
    JsonObject scope = new JsonObject().put("tenants", new JsonArray().add("kc-one"));
    assertThat(declare(new JsonObject().put("type", "meteor").put("scope", scope).put("summary", "x")).slug())
        .isEqualTo("invalid-request");
    Http.Response unknown = declare(new JsonObject().put("type", "key-compromised")
        .put("scope", new JsonObject().put("tenants", new JsonArray().add("kc-one").add("no-such-tenant"))).put("summary", "x"));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().getString("detail")).contains("no-such-tenant");
    assertThat(declare(new JsonObject().put("type", "algorithm-weakness").put("scope", scope).put("summary", "x")
        .put("policy", new JsonObject().put("allowedAlgorithms", new JsonArray().add("EC-P256")).put("minRsaBits", 1024)))
        .slug()).isEqualTo("invalid-request");
    Http.Response lowering = declare(new JsonObject().put("type", "algorithm-weakness").put("scope", scope).put("summary", "x")
        .put("policy", new JsonObject().put("allowedAlgorithms", new JsonArray().add("RSA-2048").add("RSA-3072").add("RSA-4096")
            .add("EC-P256").add("EC-P384")).put("minRsaBits", 2048)));
    assertThat(lowering.status()).as(lowering.toString()).isEqualTo(201); // equal to the current policy: allowed (no raise)
    Issuer user = idps.get("kc-one");
    assertThat(node.http.post("/v1/incidents", user.token("admin@kc-one.test", List.of("tenant-admin")),
        new JsonObject().put("type", "key-compromised").put("scope", scope).put("summary", "x")).status()).isIn(401, 403);
    assertThat(node.http.get("/v1/incidents/inc-0000000000000000", op()).status()).isEqualTo(404);
    assertThat(TestDatabase.count(node.databaseUrl, "SELECT count(*) FROM incidents")).isEqualTo(before + 1);
  }

  @Test
  @Order(7)
  @DisplayName("algorithm-weakness with minimum RSA 3072 re-keys every RSA-2048 tenant and refuses new RSA-2048 versions")
  void algorithmWeakness() throws Exception {
    Issuer a = tenant("weak-a", "RSA-2048");
    tenant("weak-b", "RSA-2048");
    tenant("strong-ec", "EC-P256");
    String old = Licensing.publishOk(node.http, "weak-a", a, "old");
    Http.Response declared = declare(new JsonObject().put("type", "algorithm-weakness")
        .put("scope", new JsonObject().put("tenants", new JsonArray().add("weak-a").add("weak-b").add("strong-ec")))
        .put("summary", "RSA-2048 no longer meets our bar")
        .put("policy", new JsonObject().put("allowedAlgorithms", new JsonArray().add("RSA-2048").add("RSA-3072")
            .add("RSA-4096").add("EC-P256").add("EC-P384")).put("minRsaBits", 3072)));
    assertThat(declared.status()).as(declared.toString()).isEqualTo(201);
    String id = declared.json().getString("id");
    JsonObject view = await(id, v -> v.getString("state").equals("campaign-completed")
        && v.getJsonObject("notifications").getLong("sent") == 6);
    assertThat(view.getJsonObject("campaign").getLong("rekeyed")).isEqualTo(2);
    assertThat(view.getJsonObject("campaign").getLong("skipped")).isEqualTo(1);
    for (String t : List.of("weak-a", "weak-b")) {
      JsonObject tenant = node.http.get("/v1/tenants/" + t, op()).json();
      assertThat(tenant.getString("currentKid")).isEqualTo(t + ":2");
      assertThat(tenant.getJsonArray("keys").getJsonObject(1).getString("algorithm")).isEqualTo("RSA-3072");
      assertThat(tenant.getJsonObject("cryptoPolicy").getBoolean("activeMeetsPolicy")).isTrue();
    }
    assertThat(versions("strong-ec")).isEqualTo(1);
    assertThat(Licensing.license(node.http, "weak-a", a, old).status()).isEqualTo(200);

    Http.Response refusedCreate = node.http.post("/v1/tenants", op(), TestNode.tenantRequest("late-rsa", "RSA-2048",
        Issuer.ec("https://idp.test/late-rsa")));
    assertThat(refusedCreate.status()).isEqualTo(400);
    assertThat(refusedCreate.slug()).isEqualTo("crypto-policy-violation");
    Http.Response refusedRekey = node.http.post("/v1/tenants/strong-ec/keys/rekey", op(),
        new JsonObject().put("origin", "service").put("algorithm", "RSA-2048"));
    assertThat(refusedRekey.slug()).isEqualTo("crypto-policy-violation");
    assertThat(versions("strong-ec")).isEqualTo(1);
    JsonObject policy = node.http.get("/v1/crypto-policy", op()).json();
    assertThat(policy.getInteger("minRsaBits")).isEqualTo(3072);
    assertThat(policy.getJsonArray("effective").getList()).doesNotContain("RSA-2048");
    for (String t : List.of("weak-a", "weak-b", "strong-ec")) {
      List<MimeMessage> mail = mailTo("admin@" + t + ".test");
      assertThat(mail).hasSize(2);
      // pointed at what a tenant admin may read (its own tenant), not the operators' /v1/crypto-policy
      assertThat(text(subjected(mail, "Security incident"))).contains("GET /v1/tenants/" + t + " ", "RSA-3072")
          .doesNotContain("/v1/crypto-policy", "{tid}");
    }
    assertThat(subjected(mailTo("admin@weak-a.test"), "re-keyed to").getSubject()).contains("weak-a:2");
    assertThat(text(subjected(mailTo("admin@strong-ec.test"), "not re-keyed"))).contains("meets the crypto policy");
  }

  /** A new tenant whose first key is its customer's own (BYOK), made and transferred as a customer would. */
  static Issuer byokTenant(String id) throws Exception {
    Issuer idp = Issuer.ec("https://idp.test/" + id);
    JsonObject request = TestNode.tenantRequest(id, "EC-P256", idp);
    request.getJsonObject("key").put("origin", "byok").put("byok", byokFile(id, op()));
    Http.Response created = node.http.post("/v1/tenants", op(), request);
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    idps.put(id, idp);
    return idp;
  }

  static JsonObject byokFile(String tenant, String token) throws Exception {
    Http.Response kek = node.http.post("/v1/tenants/" + tenant + "/byok/kek", token, "");
    assertThat(kek.status()).as(kek.toString()).isEqualTo(201);
    java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
    ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    return io.licensor.support.ByokTransfer.file(kek.json(), ec.generateKeyPair().getPrivate().getEncoded());
  }

  static String origin(String tenant, int version) {
    return node.http.get("/v1/tenants/" + tenant, op()).json().getJsonArray("keys").getJsonObject(version - 1).getString("origin");
  }

  @Test
  @Order(8)
  @DisplayName("key-compromised and a BYOK tenant: not given a service key; asked for a new transfer; done once the customer's key is in")
  void byokTenantWaitsForItsCustomer() throws Exception {
    Issuer idp = byokTenant("byok-wait");
    Http.Response declared = declare(new JsonObject().put("type", "key-compromised")
        .put("scope", new JsonObject().put("tenants", new JsonArray().add("byok-wait")))
        .put("summary", "HSM backup tape lost"));
    assertThat(declared.status()).as(declared.toString()).isEqualTo(201);
    String id = declared.json().getString("id");
    JsonObject view = await(id, v -> v.getString("state").equals("awaiting-customer-keys")
        && v.getJsonObject("notifications").getLong("sent") == 2);
    assertThat(view.getJsonObject("campaign").getLong("awaitingCustomerKey")).isEqualTo(1);
    assertThat(view.getJsonObject("campaign").getJsonArray("exceptions").encode()).contains("byok-wait", "awaiting-customer");
    Thread.sleep(2500); // rechecked every second: still waiting, the customer not asked twice
    assertThat(versions("byok-wait")).as("no service key put in place of the customer's").isEqualTo(1);
    List<MimeMessage> mail = mailTo("admin@byok-wait.test");
    assertThat(mail).hasSize(2);
    assertThat(text(subjected(mail, "Security incident"))).contains("one you brought (BYOK)", "does not replace it",
        "licensor byok kek byok-wait", "licensor tenant rekey byok-wait --byok");
    assertThat(subjected(mail, "waiting for your new key").getSubject()).contains(id);

    // the customer transfers a new key of their own
    String admin = idp.token("admin@byok-wait.test", List.of("tenant-admin"));
    Http.Response rekeyed = node.http.post("/v1/tenants/byok-wait/keys/rekey", admin,
        new JsonObject().put("origin", "byok").put("algorithm", "EC-P256").put("byok", byokFile("byok-wait", admin)));
    assertThat(rekeyed.status()).as(rekeyed.toString()).isEqualTo(201);
    view = await(id, v -> v.getString("state").equals("campaign-completed")
        && v.getJsonObject("notifications").getLong("sent") == 3);
    assertThat(view.getJsonObject("campaign").getLong("rekeyed")).isEqualTo(1);
    assertThat(origin("byok-wait", 2)).isEqualTo("byok");
    assertThat(subjected(mailTo("admin@byok-wait.test"), "has a new key").getSubject()).contains("byok-wait:2");
  }

  @Test
  @Order(9)
  @DisplayName("key-compromised with byok: service-key: the BYOK tenant gets a service key, and is told so")
  void operatorChoosesServiceKeysForByok() throws Exception {
    byokTenant("byok-swap");
    Http.Response declared = declare(new JsonObject().put("type", "key-compromised")
        .put("scope", new JsonObject().put("tenants", new JsonArray().add("byok-swap")))
        .put("summary", "HSM firmware leaked key material").put("byok", "service-key"));
    assertThat(declared.status()).as(declared.toString()).isEqualTo(201);
    String id = declared.json().getString("id");
    await(id, v -> v.getString("state").equals("campaign-completed") && v.getJsonObject("notifications").getLong("sent") == 2);
    assertThat(origin("byok-swap", 2)).isEqualTo("service");
    List<MimeMessage> mail = mailTo("admin@byok-swap.test");
    assertThat(text(subjected(mail, "Security incident"))).contains("the operator chose", "the service's key, not one you brought");
    assertThat(text(subjected(mail, "re-keyed to"))).contains("It replaces the key you brought (BYOK)");
    assertThat(declare(new JsonObject().put("type", "unauthorized-use")
        .put("scope", new JsonObject().put("tenants", new JsonArray().add("byok-swap")))
        .put("summary", "x").put("byok", "service-key")).slug()).isEqualTo("invalid-request");
  }
}
