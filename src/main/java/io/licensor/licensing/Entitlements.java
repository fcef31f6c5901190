package io.licensor.licensing;

import io.licensor.errors.Problem;
import io.licensor.identity.Principal;
import io.licensor.rights.Right;
import io.licensor.rights.RightsTemplate;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.TenantKeys;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a user may do with a document, as the node knows its tenant now: the rights its policy and
 * the template it names give (super users: all of them), until when, and how long the use license
 * may be used offline. Read from the cached tenant only (templates, super-user group, the tenant's
 * maximum): no database round trip. Also whether a user may publish with a policy's template.
 */
final class Entitlements {

  /** How far a publishing license's issuedAt may be ahead of this node's clock. */
  static final long MAX_CLOCK_SKEW_SECONDS = 300;

  private final KeyDirectory directory;
  private final long defaultTtlSeconds;
  private final long maxTtlSeconds;

  Entitlements(KeyDirectory directory, long defaultTtlSeconds, long maxTtlSeconds) {
    this.directory = directory;
    this.defaultTtlSeconds = defaultTtlSeconds;
    this.maxTtlSeconds = maxTtlSeconds;
  }

  /** What was granted at {@code at}: never empty rights; {@code notAfter} null when nothing bounds the content. */
  record Granted(Set<Right> rights, Long notAfter, long offlineAccessSeconds, boolean superUser, long at) {
  }

  /** 403 access-denied when the user gets no rights or the content has expired. */
  Granted grant(Principal user, String tenantId, PublishingLicenseContent content, long now) {
    TenantKeys known = known(tenantId);
    Policy policy = content.policy();
    RightsTemplate template = policy.template() == null ? null : templateOf(known, content, now);
    Set<Right> rights = template == null ? policy.rightsFor(user.subject(), user.groups())
        : template.rightsFor(policy.grants(), user.subject(), user.groups());
    // a super user (the tenant's identity.claims.superUsers group) is OWNER of all the tenant's content, expired included
    boolean superUser = known.tenant().identity().claims().isSuperUser(user.groups());
    if (superUser) {
      rights = EnumSet.allOf(Right.class);
    }
    if (rights.isEmpty()) {
      throw Problem.ACCESS_DENIED.with("the content's policy grants " + user.subject() + " no rights");
    }
    Long notAfter = superUser ? null : min(policy.notAfter(),
        template == null || template.validity() == null ? null : template.validity().notAfterFor(content.issuedAt()));
    if (notAfter != null && notAfter <= now) {
      throw Problem.ACCESS_DENIED.with("the content's " + (template == null ? "policy" : "policy or template") + " expired "
          + "(its notAfter has passed)");
    }
    return new Granted(rights, notAfter, offlineAccess(policy, template, known.tenant().maxOfflineAccessSeconds()), superUser,
        now);
  }

  /**
   * How long a use license of this content may be used offline (0: always online): the stricter of
   * the policy's own and its template's, else the service's default, bounded by the tenant's maximum
   * and the service's ({@code licensing.maxTtlSeconds}).
   */
  long offlineAccess(Policy policy, RightsTemplate template, Long tenantMaximum) {
    Long wanted = min(policy.offlineAccess(), template == null ? null : template.offlineAccessSeconds());
    long bound = tenantMaximum == null ? maxTtlSeconds : Math.min(tenantMaximum, maxTtlSeconds);
    return Math.min(wanted == null ? defaultTtlSeconds : wanted, bound);
  }

  /**
   * Whether this user may publish with this policy now: a template it names must be one of the
   * tenant's, active (409 template-archived), and list the user among its publishers (403).
   */
  void requirePublishable(Principal user, String tenantId, Policy policy) {
    if (policy.template() == null) {
      return;
    }
    RightsTemplate template = known(tenantId).template(policy.template()).orElseThrow(() -> Problem.INVALID_REQUEST.with(
        "policy.template: tenant '" + tenantId + "' has no rights template '" + policy.template() + "'"));
    if (template.archived()) {
      throw Problem.TEMPLATE_ARCHIVED.with("rights template '" + template.id() + "' (" + template.name() + ") is archived: "
          + "content already published with it stays licensable, no new content is published with it");
    }
    if (!template.mayPublish(user.subject(), user.groups())) {
      throw Problem.FORBIDDEN.with("rights template '" + template.id() + "' is not one " + user.subject() + " may publish with");
    }
  }

  /**
   * The template content names: 403 access-denied if the tenant has no such template, if the
   * content was published after the template was archived (a publishing license made offline with
   * an archived template: archiving stops new publishing), or if it says it was published in the future.
   */
  private static RightsTemplate templateOf(TenantKeys known, PublishingLicenseContent content, long now) {
    String id = content.policy().template();
    // a template's days of validity and its archiving count from issuedAt, which an offline publisher writes:
    // one from the future would stretch the admins' policy, so it is refused (a clock's skew allowed)
    if (content.issuedAt() > now + MAX_CLOCK_SKEW_SECONDS) {
      throw Problem.ACCESS_DENIED.with("the publishing license says it was made in the future (issuedAt "
          + content.issuedAt() + "); its template's validity counts from then, so it is not licensed");
    }
    RightsTemplate template = known.template(id).orElseThrow(() -> Problem.ACCESS_DENIED.with(
        "the content names rights template '" + id + "', which tenant '" + known.tenant().id() + "' does not have"));
    if (template.archived() && content.issuedAt() > template.archivedAt().getEpochSecond()) {
      throw Problem.ACCESS_DENIED.with("the content was published with rights template '" + id + "' after it was archived");
    }
    return template;
  }

  private TenantKeys known(String tenantId) {
    return directory.cached(tenantId).orElseThrow(() -> Problem.DIRECTORY_UNCONFIRMED.with(
        "tenant '" + tenantId + "' is not loaded on this node"));
  }

  private static Long min(Long a, Long b) {
    return a == null ? b : b == null ? a : Long.valueOf(Math.min(a, b));
  }
}
