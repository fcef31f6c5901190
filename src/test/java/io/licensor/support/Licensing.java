package io.licensor.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** Publishing and licensing through the public API, as an RMS client does it. */
public final class Licensing {

  public static final JsonObject EVERYONE_VIEWS = new JsonObject().put("grants", new JsonArray()
      .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));

  private Licensing() {
  }

  /** Publishes online as alice; returns the response (201 with publishingLicense and kid). */
  public static Http.Response publish(Http http, String tenant, Issuer idp, String contentId) {
    return http.post("/v1/tenants/" + tenant + "/publishing-licenses", idp.token("alice@" + tenant + ".test", List.of()),
        new JsonObject().put("contentId", contentId).put("policy", EVERYONE_VIEWS)
            .put("contentKey", RmsClient.b64(RmsClient.newContentKey())));
  }

  /** The publishing license of a successful publish, or an exception naming the response. */
  public static String publishOk(Http http, String tenant, Issuer idp, String contentId) {
    Http.Response r = publish(http, tenant, idp, contentId);
    if (r.status() != 201 && r.status() != 200) {
      throw new IllegalStateException("publish failed: " + r);
    }
    return r.json().getString("publishingLicense");
  }

  /** Asks for a use license as bob. */
  public static Http.Response license(Http http, String tenant, Issuer idp, String publishingLicense) {
    return http.post("/v1/tenants/" + tenant + "/licenses", idp.token("bob@" + tenant + ".test", List.of()),
        new JsonObject().put("publishingLicense", publishingLicense)
            .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))));
  }

  /** Creates a tenant (as an operator); its users' tokens come from the returned issuer. */
  public static Issuer createTenant(Http http, String operatorToken, String id, String algorithm) {
    Issuer idp = Issuer.ec("https://idp.test/" + id);
    Http.Response r = http.post("/v1/tenants", operatorToken, TestNode.tenantRequest(id, algorithm, idp));
    if (r.status() != 201) {
      throw new IllegalStateException("tenant creation failed: " + r);
    }
    return idp;
  }

  /** Re-keys a tenant to a new EC-P256 version (as an operator). */
  public static Http.Response rekey(Http http, String operatorToken, String tenant) {
    return http.post("/v1/tenants/" + tenant + "/keys/rekey", operatorToken,
        new JsonObject().put("origin", "service").put("algorithm", "EC-P256"));
  }

  /** The kid a node publishes with now (keys/current). */
  public static String currentKid(Http http, String tenant, Issuer idp) {
    Http.Response r = http.get("/v1/tenants/" + tenant + "/keys/current", idp.token("alice@" + tenant + ".test", List.of()));
    if (r.status() != 200) {
      throw new IllegalStateException("keys/current failed: " + r);
    }
    return r.json().getString("kid");
  }
}
