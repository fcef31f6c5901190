package io.licensor.security;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPEC §5's access table as a matrix: every endpoint that names tenant A, called by anonymous, a
 * user of A, an admin of A, an admin of B and an operator. Bodies are deliberately invalid where
 * the call is allowed and would change something, so an allowed call answers 400 (it got past
 * authorization) and a refused one 401/403 (it did not). And a refusal of a foreign tenant's
 * resource is the same whether the resource exists or not.
 *
 * <p>Endpoints that name no tenant (restore, incidents, crypto policy, cluster, tenant creation)
 * trust operator issuers only, so a tenant user's token is not proven there: 401, as for any other
 * token the endpoint cannot verify (docs/api.md, "Identity").
 */
@DisplayName("Tenant isolation: who may call what")
class TenantIsolationTest {

  private static TestNode node;
  private static Http http;
  private static Map<String, String> tokens;
  private static String plOfA;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    http = node.http;
    Issuer a = node.createTenant("iso-a", "RSA-2048");
    Issuer b = node.createTenant("iso-b", "EC-P256");
    plOfA = Licensing.publishOk(http, "iso-a", a, "iso-doc");
    tokens = new LinkedHashMap<>();
    tokens.put("anonymous", null);
    tokens.put("user of A", a.token("user@iso-a.test", List.of()));
    tokens.put("admin of A", a.token("admin@iso-a.test", List.of("tenant-admin")));
    tokens.put("admin of B", b.token("admin@iso-b.test", List.of("tenant-admin")));
    tokens.put("operator", node.operatorToken());
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** One endpoint and the status each caller must get (null: the SPEC does not say; not checked). */
  record Row(String method, String path, String body, Integer anonymous, Integer userOfA, Integer adminOfA,
             Integer adminOfB, Integer operator) {
    Integer expected(String caller) {
      return switch (caller) {
        case "anonymous" -> anonymous;
        case "user of A" -> userOfA;
        case "admin of A" -> adminOfA;
        case "admin of B" -> adminOfB;
        default -> operator;
      };
    }
  }

  static final String BAD = "{\"bogus\":true}";

  static List<Row> matrix() {
    String pl = new JsonObject().put("publishingLicense", plOfA).put("recipientKey", new JsonObject()).encode();
    return List.of(
        new Row("GET", "/v1/tenants/iso-a", null, 401, 403, 200, 403, 200),
        new Row("GET", "/v1/tenants/iso-a/keys/current", null, 401, 200, 200, 403, null),
        new Row("GET", "/v1/tenants/iso-a/jwks.json", null, 200, 200, 200, 200, 200),
        new Row("POST", "/v1/tenants/iso-a/keys/rekey", BAD, 401, 403, 400, 403, 400),
        new Row("POST", "/v1/tenants/iso-a/keys/1/export", BAD, 401, 403, 400, 403, null),
        new Row("DELETE", "/v1/tenants/iso-a/keys/1", null, 401, 403, 403, 403, null),
        new Row("GET", "/v1/tenants/iso-a/backup", null, 401, 403, 200, 403, 200),
        new Row("POST", "/v1/tenants/restore", BAD, 401, 401, 401, 401, 400),
        new Row("POST", "/v1/tenants/iso-a/publishing-licenses", BAD, 401, 400, 400, 403, null),
        new Row("POST", "/v1/tenants/iso-a/licenses", pl, 401, 400, 400, 403, null),
        new Row("GET", "/v1/tenants/iso-a/audit", null, 401, 403, 200, 403, 200),
        new Row("POST", "/v1/tenants/iso-a/reactivate", null, 401, 403, 403, 403, null),
        new Row("POST", "/v1/incidents", BAD, 401, 401, 401, 401, 400),
        new Row("GET", "/v1/incidents", null, 401, 401, 401, 401, 200),
        new Row("GET", "/v1/crypto-policy", null, 401, 401, 401, 401, 200),
        new Row("PUT", "/v1/crypto-policy", BAD, 401, 401, 401, 401, 400),
        new Row("GET", "/v1/cluster", null, 401, 401, 401, 401, 200),
        new Row("POST", "/v1/tenants", BAD, 401, 401, 401, 401, 400));
  }

  @Test
  @DisplayName("every endpoint × {anonymous, user of A, admin of A, admin of B, operator} gets exactly SPEC §5's access")
  void accessMatrix() {
    List<String> wrong = new ArrayList<>();
    for (Row row : matrix()) {
      for (Map.Entry<String, String> caller : tokens.entrySet()) {
        Integer expected = row.expected(caller.getKey());
        if (expected == null) {
          continue;
        }
        Http.Response r = http.send(row.method(), row.path(), caller.getValue(), row.body());
        if (r.status() != expected) {
          wrong.add(row.method() + " " + row.path() + " as " + caller.getKey() + ": " + r.status() + " " + r.slug()
              + " (expected " + expected + ")");
        }
      }
    }
    assertThat(wrong).isEmpty();
  }

  @Test
  @DisplayName("a refused request about another tenant reveals nothing: same status and problem whether it exists or not")
  void refusalsRevealNothing() {
    String adminOfB = tokens.get("admin of B");
    List<String> paths = List.of("/v1/tenants/%s", "/v1/tenants/%s/keys/current", "/v1/tenants/%s/backup",
        "/v1/tenants/%s/audit", "/v1/tenants/%s/keys/1/export");
    List<String> differ = new ArrayList<>();
    for (String p : paths) {
      String method = p.endsWith("export") ? "POST" : "GET";
      String body = p.endsWith("export") ? BAD : null;
      Http.Response existing = http.send(method, p.formatted("iso-a"), adminOfB, body);
      Http.Response missing = http.send(method, p.formatted("iso-nobody"), adminOfB, body);
      if (existing.status() != missing.status() || !existing.slug().equals(missing.slug())
          || !detail(existing).equals(detail(missing).replace("iso-nobody", "iso-a"))) {
        differ.add(p + ": existing " + existing.status() + " " + existing.slug() + " '" + detail(existing) + "', missing "
            + missing.status() + " " + missing.slug() + " '" + detail(missing) + "'");
      }
    }
    // a foreign version: the same for a version that exists and one that does not
    Http.Response v1 = http.send("POST", "/v1/tenants/iso-a/keys/1/export", adminOfB, BAD);
    Http.Response v99 = http.send("POST", "/v1/tenants/iso-a/keys/99/export", adminOfB, BAD);
    if (v1.status() != v99.status() || !v1.slug().equals(v99.slug())) {
      differ.add("export of a foreign version: v1 " + v1.status() + " " + v1.slug() + ", v99 " + v99.status() + " " + v99.slug());
    }
    assertThat(differ).isEmpty();
  }

  private static String detail(Http.Response r) {
    try {
      return r.json().getString("detail", "");
    } catch (RuntimeException e) {
      return r.body();
    }
  }
}
