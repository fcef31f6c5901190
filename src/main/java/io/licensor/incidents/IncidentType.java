package io.licensor.incidents;

import java.util.Arrays;
import java.util.Optional;

/** The four kinds of incident of the source documents, each with its playbook (SPEC §6). */
public enum IncidentType {
  KEY_COMPROMISED("key-compromised", true,
      "Re-key each tenant in scope now (a tenant whose key is its own, BYOK, is asked for a new transfer instead, unless "
          + "the operator chose service keys). Content protected under the old versions keeps licensing: they are retained."),
  UNAUTHORIZED_USE("unauthorized-use", false,
      "No re-key: the key did not leave the HSM, so a new key would not help, and nothing is frozen. The key-usage "
          + "audit of the scope for the window is kept with the incident (usageReport), and each tenant's admin gets "
          + "their tenant's part of it, for root-cause analysis."),
  HSM_VULNERABILITY("hsm-vulnerability", true,
      "Mark the affected HSM generation. Once the operator records the HSM update, re-key every tenant in scope on the "
          + "updated HSM."),
  ALGORITHM_WEAKNESS("algorithm-weakness", true,
      "Raise the crypto policy, then re-key every tenant in scope whose active version does not meet it to one that does.");

  private final String wireName;
  private final boolean rekeys;
  private final String playbook;

  IncidentType(String wireName, boolean rekeys, String playbook) {
    this.wireName = wireName;
    this.rekeys = rekeys;
    this.playbook = playbook;
  }

  public String wireName() {
    return wireName;
  }

  /** Whether its playbook runs a re-key campaign. */
  public boolean rekeys() {
    return rekeys;
  }

  public String playbook() {
    return playbook;
  }

  public static Optional<IncidentType> fromWireName(String name) {
    return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
  }
}
