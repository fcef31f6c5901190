package io.licensor.tenants;

import io.licensor.errors.Problem;
import io.licensor.rights.RightsTemplate;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * A tenant's rights templates in the database. Each change holds the tenant row's lock and touches
 * it in the same transaction, so the tenant's revision rises with it and every node reloads the
 * tenant with its templates (a change notice, or the periodic sweep); nodes read templates from
 * that cache, never from here, when they license.
 */
public final class TemplateStore {

  /** A template after a change, and whether the call changed it. */
  public record Change(RightsTemplate template, boolean changed) {
  }

  private final Pool pool;

  public TemplateStore(Pool pool) {
    this.pool = pool;
  }

  /** 404 tenant-not-found, 409 limit-reached past {@code limit} templates, 409 template-name-taken. */
  public Future<RightsTemplate> create(String tenantId, RightsTemplate.Definition definition, int limit) {
    String id = UUID.randomUUID().toString();
    return pool.withTransaction(conn -> TenantStore.lockTenant(conn, tenantId)
        .compose(v -> conn.preparedQuery(TemplateSql.COUNT).execute(Tuple.of(tenantId)))
        .compose(count -> count.iterator().next().getLong("n") >= limit
            ? Future.failedFuture(Problem.LIMIT_REACHED.with("tenant '" + tenantId + "' has " + limit
                + " templates, as many as it may: archive or change one instead"))
            : conn.preparedQuery(TemplateSql.INSERT).execute(Tuple.of(tenantId, id, definition.name(), definition.toJson())))
        .compose(rows -> touch(conn, tenantId).map(templateOf(rows.iterator().next()))))
        .recover(TemplateStore::nameTaken);
  }

  /**
   * Changes a template's definition: 412 precondition-failed (with its ETag) unless it is at one of
   * {@code expectedRevisions} (null: any), 404 template-not-found. Writes nothing if nothing changes.
   */
  public Future<Change> update(String tenantId, String id, Set<Long> expectedRevisions,
                               UnaryOperator<RightsTemplate.Definition> change) {
    return pool.withTransaction(conn -> TenantStore.lockTenant(conn, tenantId)
        .compose(v -> lockTemplate(conn, tenantId, id))
        .compose(before -> {
          if (expectedRevisions != null && !expectedRevisions.contains(before.revision())) {
            return Future.failedFuture(TenantViews.stale("template " + id, before.revision()));
          }
          RightsTemplate.Definition after = change.apply(before.definition());
          if (after.toJson().equals(before.definition().toJson())) {
            return Future.succeededFuture(new Change(before, false));
          }
          return conn.preparedQuery(TemplateSql.UPDATE).execute(Tuple.of(tenantId, id, after.name(), after.toJson()))
              .compose(rows -> touch(conn, tenantId).map(new Change(templateOf(rows.iterator().next()), true)));
        }))
        .recover(TemplateStore::nameTaken);
  }

  /** Archives ({@code archive}) or re-activates a template; unchanged if it is so already. 404 template-not-found. */
  public Future<Change> setArchived(String tenantId, String id, boolean archive) {
    return pool.withTransaction(conn -> TenantStore.lockTenant(conn, tenantId)
        .compose(v -> lockTemplate(conn, tenantId, id))
        .compose(before -> before.archived() == archive ? Future.succeededFuture(new Change(before, false))
            : conn.preparedQuery(TemplateSql.SET_ARCHIVED).execute(Tuple.of(tenantId, id, archive))
                .compose(rows -> touch(conn, tenantId).map(new Change(templateOf(rows.iterator().next()), true)))));
  }

  /** A template from a row of rights_templates (id, definition, archived_at, revision, created_at, updated_at). */
  static RightsTemplate templateOf(Row row) {
    OffsetDateTime archived = row.getOffsetDateTime("archived_at");
    return RightsTemplate.of(row.getString("id"), RightsTemplate.fromStored(row.getJsonObject("definition")),
        archived == null ? null : archived.toInstant(), row.getLong("revision"),
        row.getOffsetDateTime("created_at").toInstant(), row.getOffsetDateTime("updated_at").toInstant());
  }

  private static Future<RightsTemplate> lockTemplate(SqlConnection conn, String tenantId, String id) {
    return conn.preparedQuery(TemplateSql.LOCK).execute(Tuple.of(tenantId, id))
        .compose(rows -> rows.iterator().hasNext() ? Future.succeededFuture(templateOf(rows.iterator().next()))
            : Future.failedFuture(notFound(tenantId, id)));
  }

  /** 404 template-not-found naming the template; the built-in ones cannot be changed (409 template-built-in). */
  public static RuntimeException notFound(String tenantId, String id) {
    return Problem.TEMPLATE_NOT_FOUND.with("tenant '" + tenantId + "' has no template '" + id + "'");
  }

  private static Future<RowSet<Row>> touch(SqlConnection conn, String tenantId) {
    return conn.preparedQuery(TenantSql.TOUCH_TENANT).execute(Tuple.of(tenantId));
  }

  private static <T> Future<T> nameTaken(Throwable err) {
    if (err instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      return Future.failedFuture(Problem.TEMPLATE_NAME_TAKEN.with("the tenant has another template of that name "
          + "(names compare without case)"));
    }
    return Future.failedFuture(err);
  }
}
