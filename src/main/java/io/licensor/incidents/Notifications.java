package io.licensor.incidents;

/** The e-mail each affected tenant's administrator gets when an incident is declared. */
final class Notifications {

  private Notifications() {
  }

  static String subject(Incident incident, String tenantId) {
    return "[licensor] Security incident " + incident.id() + " (" + incident.type().wireName() + ") affects tenant "
        + tenantId;
  }

  static String body(Incident incident, String tenantId) {
    StringBuilder b = new StringBuilder();
    b.append("To the administrator of tenant ").append(tenantId).append(",\n\n")
        .append("The licensor service has declared a security incident that affects your tenant.\n\n")
        .append("Incident: ").append(incident.id()).append('\n')
        .append("Type: ").append(incident.type().wireName()).append('\n')
        .append("Declared: ").append(incident.declaredAt()).append('\n')
        .append("Summary: ").append(incident.summary()).append("\n\n")
        .append("What the service does:\n  ").append(incident.type().playbook()).append("\n\n")
        .append("What you must do:\n").append(whatToDo(incident)).append('\n')
        .append("Content you protected before the incident keeps opening: old key versions are retained for licensing.\n")
        .append("Questions: reply to this message quoting the incident id.\n");
    return b.toString();
  }

  private static String whatToDo(Incident incident) {
    return switch (incident.type()) {
      case KEY_COMPROMISED -> """
            - Nothing to start: your tenant key is being re-keyed now; new content is protected with the new version.
            - Refresh any copy of your tenant's public key (GET /v1/tenants/{tid}/keys/current) your clients keep.
            - If you brought your own key (BYOK), generate a new one in your HSM and import it: the service cannot
              re-key a BYOK key for you with your own key material.
          """;
      case UNAUTHORIZED_USE -> """
            - Review the key-usage audit of your tenant (GET /v1/tenants/{tid}/audit) for licenses you do not expect.
            - Revoke the credentials of the users or applications involved at your identity provider.
            - No re-key is needed: your key was used, not disclosed.
          """;
      case HSM_VULNERABILITY -> """
            - Nothing to start: your tenant key will be re-keyed once the service's HSMs are updated; a second
              step of this incident will show it done (GET /v1/tenants/{tid}).
            - If you brought your own key (BYOK), plan to import a new one after the update.
          """;
      case ALGORITHM_WEAKNESS -> """
            - Nothing to start: if your active key does not meet the raised crypto policy, it is being re-keyed to
              an algorithm that does (see GET /v1/crypto-policy).
            - Clients that pin an algorithm must accept the new one; refresh cached public keys.
          """;
    };
  }
}
