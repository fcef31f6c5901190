package io.licensor.lifecycle;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When audit records cannot be written, none is dropped: they are kept and retried, and once the
 * bounded backlog is full, key use stops (503 audit-unavailable) until the trail can be written.
 */
@DisplayName("An audit outage loses no record and stops key use when the backlog is full")
class AuditOutageTest {

  @Test
  @DisplayName("records queued during an outage are all written once the database accepts them")
  void nothingIsDroppedDuringAnOutage() {
    // the backlog of answers given before their records are durable (audit.keyUseDurable=false)
    try (TestNode node = TestNode.start(new JsonObject().put("audit", new JsonObject()
        .put("queueCapacity", 4).put("flushMillis", 20).put("keyUseDurable", false)))) {
      Issuer idp = node.createTenant("outage", "EC-P256");
      String token = idp.token("reader@x.test", List.of());
      Http.Response current = node.http.get("/v1/tenants/outage/keys/current", token);
      String pl = RmsClient.publishOffline(current.json(), RmsClient.plPayload("c", "a@x.test", RmsClient.newContentKey(),
          KeyLifecycleTest.anyone()));
      JsonObject request = new JsonObject().put("publishingLicense", pl)
          .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false)));

      TestDatabase.execute(node.databaseUrl, "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN "
          + "RAISE EXCEPTION 'audit store unavailable'; END $$ LANGUAGE plpgsql; "
          + "CREATE TRIGGER refuse BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()");
      int issued = 0;
      int refused = 0;
      for (int i = 0; i < 10; i++) {
        Http.Response r = node.http.post("/v1/tenants/outage/licenses", token, request);
        if (r.status() == 200) {
          issued++;
        } else {
          assertThat(r.status()).isEqualTo(503);
          assertThat(r.slug()).isEqualTo("audit-unavailable");
          refused++;
        }
      }
      assertThat(issued).as("licenses issued while the backlog had room").isEqualTo(4);
      assertThat(refused).isEqualTo(6);
      assertThat(node.node.audit().backlog()).isEqualTo(4);

      TestDatabase.execute(node.databaseUrl, "DROP TRIGGER refuse ON audit_events");
      long deadline = System.currentTimeMillis() + 10_000;
      while (node.node.audit().backlog() > 0 && System.currentTimeMillis() < deadline) {
        ExportAndAuditTest.sleep(50);
      }
      assertThat(node.node.audit().backlog()).isZero();
      Http.Response trail = node.http.get("/v1/tenants/outage/audit?limit=1000", node.operatorToken());
      assertThat(trail.json().getBoolean("chainValid")).isTrue();
      assertThat(trail.json().getJsonArray("events").stream()
          .filter(e -> "license.issued".equals(((JsonObject) e).getString("action"))).count()).isEqualTo(issued);
      assertThat(node.http.post("/v1/tenants/outage/licenses", token, request).status()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("stopping during an outage retries until its deadline, then says how many records are left")
  void stopReportsWhatItCouldNotWrite() throws Exception {
    try (TestNode node = TestNode.start(new JsonObject().put("audit", new JsonObject().put("flushMillis", 20)
        .put("keyUseDurable", false)))) {
      Issuer idp = node.createTenant("unwritten", "EC-P256");
      String token = idp.token("reader@x.test", List.of());
      TestDatabase.execute(node.databaseUrl, "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN "
          + "RAISE EXCEPTION 'audit store unavailable'; END $$ LANGUAGE plpgsql; "
          + "CREATE TRIGGER refuse BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()");
      for (int i = 0; i < 3; i++) {
        publishOne(node, token);
      }
      long started = System.nanoTime();
      Throwable failure = node.node.audit().stop(600).toCompletionStage().toCompletableFuture()
          .handle((v, err) -> err).get(10, TimeUnit.SECONDS);
      long tookMillis = (System.nanoTime() - started) / 1_000_000;
      assertThat(failure).as("stop must not report success with records unwritten").isNotNull();
      assertThat(failure.getMessage()).isEqualTo("3 audit record(s) not written");
      assertThat(tookMillis).as("it kept retrying until its deadline").isGreaterThanOrEqualTo(500);
      assertThat(node.node.audit().backlog()).isEqualTo(3);
      TestDatabase.execute(node.databaseUrl, "DROP TRIGGER refuse ON audit_events");
    }
  }

  private static void publishOne(TestNode node, String token) {
    Http.Response current = node.http.get("/v1/tenants/unwritten/keys/current", token);
    String pl = RmsClient.publishOffline(current.json(), RmsClient.plPayload("c", "a@x.test", RmsClient.newContentKey(),
        KeyLifecycleTest.anyone()));
    JsonObject request = new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false)));
    assertThat(node.http.post("/v1/tenants/unwritten/licenses", token, request).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("with durable key-use records (the default), an audit outage withholds licenses at once: 503, nothing given unrecorded")
  void durableRecordsWithholdLicensesDuringAnOutage() {
    try (TestNode node = TestNode.start(new JsonObject().put("audit", new JsonObject().put("flushMillis", 20)))) {
      Issuer idp = node.createTenant("withheld", "EC-P256");
      String token = idp.token("reader@x.test", List.of());
      Http.Response current = node.http.get("/v1/tenants/withheld/keys/current", token);
      String pl = RmsClient.publishOffline(current.json(), RmsClient.plPayload("c", "a@x.test", RmsClient.newContentKey(),
          KeyLifecycleTest.anyone()));
      JsonObject request = new JsonObject().put("publishingLicense", pl)
          .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false)));
      assertThat(node.http.post("/v1/tenants/withheld/licenses", token, request).status()).isEqualTo(200);
      TestDatabase.execute(node.databaseUrl, "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN "
          + "RAISE EXCEPTION 'audit store unavailable'; END $$ LANGUAGE plpgsql; "
          + "CREATE TRIGGER refuse BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()");
      long started = System.nanoTime();
      for (int i = 0; i < 5; i++) {
        Http.Response r = node.http.post("/v1/tenants/withheld/licenses", token, request);
        assertThat(r.status()).as(r.toString()).isEqualTo(503);
        assertThat(r.slug()).isEqualTo("audit-unavailable");
      }
      assertThat((System.nanoTime() - started) / 1_000_000).as("the first waits at most audit.durableTimeoutMs, the rest not")
          .isLessThan(5_000 + 3_000);
      TestDatabase.execute(node.databaseUrl, "DROP TRIGGER refuse ON audit_events");
      long deadline = System.currentTimeMillis() + 10_000;
      Http.Response again = node.http.post("/v1/tenants/withheld/licenses", token, request);
      while (again.status() != 200 && System.currentTimeMillis() < deadline) {
        ExportAndAuditTest.sleep(100);
        again = node.http.post("/v1/tenants/withheld/licenses", token, request);
      }
      assertThat(again.status()).as(again.toString()).isEqualTo(200);
    }
  }
}
