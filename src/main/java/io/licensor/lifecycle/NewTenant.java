package io.licensor.lifecycle;

import io.licensor.errors.Problem;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.ids.TenantId;
import io.licensor.json.StrictJson;
import io.licensor.keys.KeyOrigin;
import io.licensor.tenants.TenantIdentity;
import io.vertx.core.json.JsonObject;

import java.util.regex.Pattern;

/** A checked request to create a tenant: {@code {id, displayName, adminEmail, identity, key}}. */
record NewTenant(String id, String displayName, String adminEmail, TenantIdentity identity, KeyRequest key) {

  private static final Pattern EMAIL = Pattern.compile("^[^@\\s]{1,64}@[^@\\s]{1,253}\\.[^@\\s.]{1,63}$");

  KeyOrigin origin() {
    return key.origin();
  }

  KeyAlgorithm algorithm() {
    return key.algorithm();
  }

  /** 400 invalid-request naming the first defect. */
  static NewTenant parse(JsonObject body) {
    String id = StrictJson.requiredText(body, "id", 63);
    if (!TenantId.isValid(id)) {
      throw Problem.INVALID_REQUEST.with("id must match " + TenantId.FORM);
    }
    String displayName = displayName(body);
    String adminEmail = adminEmail(body);
    TenantIdentity identity = TenantIdentity.fromJson(body.getValue("identity"));
    KeyRequest key = KeyRequest.parse(body.getValue("key"), "key");
    return new NewTenant(id, displayName, adminEmail, identity, key);
  }

  /** The body's {@code displayName}: text of 1 to 200 characters. */
  static String displayName(JsonObject body) {
    return StrictJson.requiredText(body, "displayName", 200);
  }

  /** The body's {@code adminEmail}: an e-mail address. */
  static String adminEmail(JsonObject body) {
    String adminEmail = StrictJson.requiredText(body, "adminEmail", 320);
    if (!EMAIL.matcher(adminEmail).matches()) {
      throw Problem.INVALID_REQUEST.with("adminEmail must be an e-mail address");
    }
    return adminEmail;
  }
}
