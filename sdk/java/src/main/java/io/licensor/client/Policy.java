package io.licensor.client;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a publishing license says about its content (docs/formats.md): who gets which rights
 * ({@link Grant}s), and/or one of the tenant's rights templates, an end ({@code notAfter}) and how
 * long a use license may be used without asking again ({@code offlineAccessSeconds}; 0 = always online).
 */
public final class Policy {

  /** Who gets which rights: a user, {@code *@domain}, {@code *} or {@code group:NAME}. */
  public record Grant(String principal, Set<Right> rights) {
    public Grant {
      Objects.requireNonNull(principal, "principal");
      if (principal.isBlank()) {
        throw new IllegalArgumentException("a grant's principal is empty");
      }
      if (rights == null || rights.isEmpty()) {
        throw new IllegalArgumentException("a grant names no right");
      }
      rights = Set.copyOf(rights);
    }

    /** {@code PRINCIPAL:RIGHT,RIGHT} as the command line writes it; the last ':' splits (group:NAME holds one). */
    public static Grant parse(String text) {
      int colon = text.lastIndexOf(':');
      if (colon <= 0 || colon == text.length() - 1) {
        throw new IllegalArgumentException(text + ": expected PRINCIPAL:RIGHTS, e.g. bob@contoso.com:VIEW,PRINT");
      }
      Set<Right> rights = EnumSet.noneOf(Right.class);
      for (String r : text.substring(colon + 1).split(",")) {
        rights.add(Right.parse(r));
      }
      return new Grant(text.substring(0, colon), rights);
    }
  }

  private final List<Grant> grants;
  private final String template;
  private final Instant notAfter;
  private final Long offlineAccessSeconds;
  private final Long licenseTtlSeconds;

  private Policy(Builder b) {
    this.grants = List.copyOf(b.grants);
    this.template = b.template;
    this.notAfter = b.notAfter;
    this.offlineAccessSeconds = b.offlineAccessSeconds;
    this.licenseTtlSeconds = b.licenseTtlSeconds;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Shorthand: these grants and nothing else. */
  public static Policy of(Grant... grants) {
    Builder b = builder();
    for (Grant g : grants) {
      b.grant(g);
    }
    return b.build();
  }

  public List<Grant> grants() {
    return grants;
  }

  public String template() {
    return template;
  }

  /** The policy as the publishing license's {@code policy} member. */
  Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    if (template != null) {
      json.put("template", template);
    }
    if (!grants.isEmpty()) {
      List<Object> list = new ArrayList<>();
      for (Grant g : grants) {
        List<String> rights = new ArrayList<>();
        for (Right r : Right.values()) {
          if (g.rights().contains(r)) {
            rights.add(r.name());
          }
        }
        Map<String, Object> grant = new LinkedHashMap<>();
        grant.put("principal", g.principal());
        grant.put("rights", rights);
        list.add(grant);
      }
      json.put("grants", list);
    }
    if (notAfter != null) {
      json.put("notAfter", notAfter.getEpochSecond());
    }
    if (offlineAccessSeconds != null) {
      json.put("offlineAccessSeconds", offlineAccessSeconds);
    }
    if (licenseTtlSeconds != null) {
      json.put("licenseTtlSeconds", licenseTtlSeconds);
    }
    return json;
  }

  public static final class Builder {
    private final List<Grant> grants = new ArrayList<>();
    private String template;
    private Instant notAfter;
    private Long offlineAccessSeconds;
    private Long licenseTtlSeconds;

    private Builder() {
    }

    public Builder grant(Grant grant) {
      grants.add(Objects.requireNonNull(grant, "grant"));
      return this;
    }

    public Builder grant(String principal, Right... rights) {
      return grant(new Grant(principal, rights.length == 0 ? Set.of() : EnumSet.of(rights[0], rights)));
    }

    /** One of the tenant's rights templates by id (its rights are read when a license is issued). */
    public Builder template(String templateId) {
      this.template = templateId;
      return this;
    }

    public Builder notAfter(Instant notAfter) {
      this.notAfter = notAfter;
      return this;
    }

    /** How long a use license may be used offline; 0: always online (the client keeps no copy). */
    public Builder offlineAccessSeconds(long seconds) {
      if (seconds < 0) {
        throw new IllegalArgumentException("offlineAccessSeconds is negative");
      }
      this.offlineAccessSeconds = seconds;
      return this;
    }

    /** The older name of {@link #offlineAccessSeconds}; a policy has one or the other. */
    public Builder licenseTtlSeconds(long seconds) {
      if (seconds <= 0) {
        throw new IllegalArgumentException("licenseTtlSeconds must be positive");
      }
      this.licenseTtlSeconds = seconds;
      return this;
    }

    public Policy build() {
      if (template == null && grants.isEmpty()) {
        throw new IllegalArgumentException("a policy names who may open the content: a grant, or a template");
      }
      if (offlineAccessSeconds != null && licenseTtlSeconds != null) {
        throw new IllegalArgumentException("offlineAccessSeconds replaces licenseTtlSeconds: give one of them");
      }
      return new Policy(this);
    }
  }
}
