package io.licensor.templates;

import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.licensor.cluster.ChangeNotices;
import io.licensor.errors.Problem;
import io.licensor.identity.Principal;
import io.licensor.lifecycle.Changed;
import io.licensor.lifecycle.KeyLifecycle;
import io.licensor.rights.RightsTemplate;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.TemplateStore;
import io.licensor.tenants.TenantKeys;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

/**
 * A tenant's rights templates (issue 23, item 1): its admins create, change, archive and
 * re-activate them; each change is audited and announced to the other nodes as a cancel is, so
 * from the return of the call every node licenses by the new template. Reads come from the node's
 * cached tenant (no database round trip); users see the active templates they may publish with.
 */
public final class Templates {

  /** At most this many templates per tenant (archived ones count: they are never deleted). */
  public static final int MAX_PER_TENANT = 200;

  private final TemplateStore store;
  private final KeyDirectory directory;
  private final AuditLog audit;
  private final ChangeNotices notices;

  public Templates(TemplateStore store, KeyDirectory directory, AuditLog audit, ChangeNotices notices) {
    this.store = store;
    this.directory = directory;
    this.audit = audit;
    this.notices = notices;
  }

  public Future<Changed<RightsTemplate>> create(Principal by, String tenantId, JsonObject body, String requestId) {
    RightsTemplate.Definition definition;
    try {
      definition = RightsTemplate.parse(body, null);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(Problem.INVALID_REQUEST.with(e.getMessage()));
    }
    return directory.require(tenantId)
        .compose(t -> store.create(tenantId, definition, MAX_PER_TENANT))
        .compose(created -> announced(by, tenantId, created, "template.create", requestId, new JsonObject()));
  }

  /** Replaces the members the body names; If-Match's revisions (null: any) must hold the template's. */
  public Future<Changed<RightsTemplate>> update(Principal by, String tenantId, String id, Set<Long> expected, JsonObject body,
                                                String requestId) {
    if (RightsTemplate.DO_NOT_FORWARD.equals(id)) {
      return Future.failedFuture(builtIn(id));
    }
    JsonArray changed = new JsonArray(List.copyOf(body.fieldNames()));
    return store.update(tenantId, id, expected, before -> {
          try {
            return RightsTemplate.parse(body, before);
          } catch (IllegalArgumentException e) {
            throw Problem.INVALID_REQUEST.with(e.getMessage());
          }
        })
        .compose(c -> announced(by, tenantId, c.template(), c.changed() ? "template.update" : null, requestId,
            new JsonObject().put("changed", changed)));
  }

  public Future<Changed<RightsTemplate>> setArchived(Principal by, String tenantId, String id, boolean archive,
                                                     String requestId) {
    if (RightsTemplate.DO_NOT_FORWARD.equals(id)) {
      return Future.failedFuture(builtIn(id));
    }
    return store.setArchived(tenantId, id, archive)
        .compose(c -> announced(by, tenantId, c.template(),
            !c.changed() ? null : archive ? "template.archive" : "template.activate", requestId, new JsonObject()));
  }

  /** One template as the caller sees it ({@link #list}); 404 template-not-found if it is not among those. */
  public Future<RightsTemplate> get(Principal p, String tenantId, String id) {
    return list(p, tenantId).compose(visible -> visible.stream().filter(t -> t.id().equals(id)).findFirst()
        .map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(TemplateStore.notFound(tenantId, id))));
  }

  /**
   * The templates a caller sees: all of them (archived too) for the tenant's admins and operators;
   * for a user, the active ones it may publish with.
   */
  public Future<List<RightsTemplate>> list(Principal p, String tenantId) {
    boolean admin = p.operator() || p.isTenantAdminOf(tenantId);
    return directory.require(tenantId).map(TenantKeys::allTemplates)
        .map(all -> admin ? all : all.stream().filter(t -> !t.archived() && t.mayPublish(p.subject(), p.groups())).toList());
  }

  /** Refreshed here, audited as {@code action} (null: nothing changed, nothing audited), announced to the other nodes. */
  private Future<Changed<RightsTemplate>> announced(Principal by, String tenantId, RightsTemplate template, String action,
                                                   String requestId, JsonObject detail) {
    return directory.refresh(tenantId)
        .compose(t -> (action == null ? Future.<Void>succeededFuture()
                : audit.record(AuditEvent.now(tenantId, null, KeyLifecycle.describe(by), action, "ok", audit.node(), requestId,
                    detail.put("template", template.id()).put("name", template.name()).encode())))
            .compose(x -> notices.announce(tenantId, t.map(TenantKeys::revision).orElse(0L))))
        .map(p -> new Changed<>(template, p));
  }

  private static RuntimeException builtIn(String id) {
    return Problem.TEMPLATE_BUILT_IN.with("template '" + id + "' is built in: it cannot be changed or archived; make a "
        + "template of your own for other rights");
  }
}
