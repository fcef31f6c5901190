package io.licensor.audit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the audit trail and verifies its chains: a tenant's records page by page, each page and
 * the whole chain checked against the keyed hashes ({@link AuditChain}); and, for an incident's
 * usage report, who used which keys in a window. Reads go through a small pool of their own
 * (never the connections {@link AuditLog} writes with), and hashing runs off the event loop.
 */
public final class AuditTrail {

  private static final int CHAIN_CHUNK = 2000;

  /** What a page of the trail and the chain check found. */
  public record Page(JsonArray events, Long next, ChainStatus chain) {
  }

  /** Whether a tenant's chain verifies, and if not, the first record where it breaks. */
  public record ChainStatus(boolean valid, Long brokenAt, long records) {
  }

  private final Vertx vertx;
  private final Pool readPool;
  private final AuditChain chain;

  /** {@code readPool}: the pool of audit reads; {@code chain}: the chain keyed from the world. */
  public AuditTrail(Vertx vertx, Pool readPool, AuditChain chain) {
    this.vertx = vertx;
    this.readPool = readPool;
    this.chain = chain;
  }

  /** A page of a tenant's trail (by time window, after a sequence number) and the whole chain's status. */
  /**
   * One document's usage from the audit: who published it and who asked for licenses, when, granted
   * or refused (and why), on which node — newest first, at most {@code limit}. {@code detail}: the
   * exact detail its key-use records carry (LicensingService.documentDetail).
   */
  public Future<JsonObject> documentUsage(String tenantId, String contentId, String detail, int limit) {
    return readPool.preparedQuery(AuditSql.DOCUMENT_USAGE).execute(Tuple.of(tenantId, detail, (long) limit + 1)).map(rows -> {
      JsonArray events = new JsonArray();
      for (io.vertx.sqlclient.Row r : rows) {
        if (events.size() == limit) {
          break;
        }
        String action = r.getString("action");
        events.add(new JsonObject().put("at", r.getOffsetDateTime("at").toInstant().toString())
            .put("principal", r.getString("principal")).put("action", action)
            .put("granted", action.endsWith(".issued")).put("outcome", r.getString("outcome"))
            .put("node", r.getString("node")).put("kid", r.getString("kid")));
      }
      return new JsonObject().put("tenant", tenantId).put("contentId", contentId).put("events", events)
          .put("truncated", rows.size() > limit);
    });
  }

  /** The licenses the tenant's super users were given (audited as such), newest first, at most {@code limit}. */
  public Future<JsonObject> superUserLicenses(String tenantId, int limit) {
    return readPool.preparedQuery(AuditSql.SUPER_USER_LICENSES).execute(Tuple.of(tenantId, (long) limit + 1)).map(rows -> {
      JsonArray licenses = new JsonArray();
      for (io.vertx.sqlclient.Row r : rows) {
        if (licenses.size() == limit) {
          break;
        }
        JsonObject entry = new JsonObject().put("at", r.getOffsetDateTime("at").toInstant().toString())
            .put("principal", r.getString("principal")).put("node", r.getString("node")).put("kid", r.getString("kid"));
        try {
          entry.put("contentId", r.getString("detail") == null ? null : new JsonObject(r.getString("detail")).getString("contentId"));
        } catch (RuntimeException e) {
          entry.putNull("contentId");
        }
        licenses.add(entry);
      }
      return new JsonObject().put("tenant", tenantId).put("licenses", licenses).put("truncated", rows.size() > limit);
    });
  }

  public Future<Page> read(String tenantId, Instant from, Instant to, long afterSeq, int limit) {
    Future<JsonArray> page = readPool.preparedQuery(AuditSql.PAGE).execute(Tuple.of(tenantId,
            OffsetDateTime.ofInstant(from, ZoneOffset.UTC), OffsetDateTime.ofInstant(to, ZoneOffset.UTC), afterSeq, limit))
        .map(rows -> {
          JsonArray events = new JsonArray();
          for (Row r : rows) {
            events.add(toJson(r));
          }
          return events;
        });
    boolean whole = !from.isAfter(Instant.EPOCH) && !to.isBefore(LATEST);
    return page.compose(events -> readPool.preparedQuery(AuditSql.HEAD).execute(Tuple.of(tenantId)).compose(rows -> {
      Row head = rows.iterator().hasNext() ? rows.iterator().next() : null;
      Long keyedFrom = head == null ? null : head.getLong("keyed_from");
      return verify(tenantId, head).compose(chainStatus -> verifyPage(tenantId, events, chainStatus,
          keyedFrom == null ? 1 : keyedFrom, whole ? afterSeq : -1));
    }).map(chainStatus -> {
      // what verification needed stays here, whether the chain held or not
      for (int i = 0; i < events.size(); i++) {
        events.getJsonObject(i).remove(RAW_DETAIL);
        events.getJsonObject(i).remove(PREV_HASH);
      }
      return new Page(events, events.size() == limit ? events.getJsonObject(events.size() - 1).getLong("seq") : null,
          chainStatus);
    }));
  }

  /** The latest instant an audit query may name: a window that ends there is no window. */
  public static final Instant LATEST = Instant.parse("9999-12-31T00:00:00Z");

  /**
   * The records shown are verified too, each against its own keyed hash and its neighbour's: a
   * record rewritten before the verified checkpoint is caught when someone reads it.
   */
  private Future<ChainStatus> verifyPage(String tenantId, JsonArray events, ChainStatus whole, long from, long contiguousAfter) {
    if (!whole.valid()) {
      return Future.succeededFuture(whole);
    }
    if (events.isEmpty()) {
      // a page of the whole trail that shows nothing although the chain holds records after it: they were removed
      return Future.succeededFuture(contiguousAfter >= 0 && contiguousAfter < whole.records()
          ? new ChainStatus(false, contiguousAfter + 1, whole.records()) : whole);
    }
    // a page's hashes and MACs (up to 1,000) are computed off the event loop, as the chain's are
    return vertx.executeBlocking(() -> {
      JsonObject previous = null;
      for (int i = 0; i < events.size(); i++) {
        JsonObject ev = events.getJsonObject(i);
        long seq = ev.getLong("seq");
        AuditEvent e = new AuditEvent(tenantId, Instant.parse(ev.getString("at")), ev.getString("kid"), ev.getString("principal"),
            ev.getString("action"), ev.getString("outcome"), ev.getString("node"), ev.getString("requestId"), ev.getString(RAW_DETAIL));
        String prev = ev.getString(PREV_HASH);
        String want = seq < from ? AuditChain.hash(e, seq, prev) : chain.keyed(e, seq, prev);
        boolean linked = previous == null || previous.getLong("seq") + 1 != seq || previous.getString("hash").equals(prev);
        // without a time window, the page holds every record after contiguousAfter, in order: a gap is a removal
        long expected = previous == null ? contiguousAfter + 1 : previous.getLong("seq") + 1;
        boolean contiguous = contiguousAfter < 0 || seq == expected;
        if (!want.equals(ev.getString("hash")) || !linked || !contiguous) {
          return new ChainStatus(false, contiguous ? seq : expected, whole.records());
        }
        previous = ev;
      }
      return whole;
    }, false);
  }

  /** Kept on a page's records while they are verified, then removed from the answer. */
  private static final String RAW_DETAIL = "_rawDetail";
  private static final String PREV_HASH = "_prevHash";


  /**
   * Verifies a tenant's chain: from its last verified checkpoint (whose MAC holds) to its head, so
   * a read costs the records since the last one, not the whole chain; then moves the checkpoint.
   * A head whose {@code keyed_from} is missing or not under its MAC is a broken chain.
   * {@code head}: the tenant's audit_heads row, read once by the caller; null if it has none.
   */
  private Future<ChainStatus> verify(String tenantId, Row head) {
    if (head == null) {
      return Future.succeededFuture(new ChainStatus(true, null, 0));
    }
    long headSeq = head.getLong("seq");
    Long keyedFrom = head.getLong("keyed_from");
    if (keyedFrom == null || !chain.verifies(head.getString("keyed_mac"), AuditLog.KEYED_FROM, tenantId, Long.toString(keyedFrom))) {
      return Future.succeededFuture(new ChainStatus(false, keyedFrom == null ? 1L : Math.max(1L, keyedFrom), headSeq));
    }
    long checkpoint = head.getLong("verified_seq");
    String checkpointHash = head.getString("verified_hash");
    boolean trusted = checkpoint > 0 && checkpoint <= headSeq
        && chain.verifies(head.getString("verified_mac"), AuditLog.CHECKPOINT, tenantId, Long.toString(checkpoint), checkpointHash);
    long fromSeq = trusted ? checkpoint : 0;
    String fromHash = trusted ? checkpointHash : AuditChain.GENESIS;
    // the checkpoint's own record must still be there, as it was verified
    Future<Boolean> anchored = !trusted ? Future.succeededFuture(true)
        : readPool.preparedQuery(AuditSql.RECORD_HASH).execute(Tuple.of(tenantId, checkpoint))
            .map(r -> r.iterator().hasNext() && checkpointHash.equals(r.iterator().next().getString("hash")));
    return anchored.compose(ok -> !ok ? Future.succeededFuture(new ChainStatus(false, checkpoint, headSeq))
        : verifyFrom(tenantId, keyedFrom, fromSeq, fromHash, fromSeq).compose(status -> {
      if (!status.status().valid()) {
        return Future.succeededFuture(status.status());
      }
      boolean tailIntact = status.status().records() == headSeq && status.lastHash().equals(head.getString("hash"));
      if (!tailIntact) {
        return Future.succeededFuture(new ChainStatus(false, status.status().records() + 1, status.status().records()));
      }
      if (status.status().records() <= checkpoint) {
        return Future.succeededFuture(status.status());
      }
      String mac = chain.mac(AuditLog.CHECKPOINT, tenantId, Long.toString(headSeq), status.lastHash());
      return readPool.preparedQuery(AuditSql.SAVE_CHECKPOINT).execute(Tuple.of(tenantId, headSeq, status.lastHash(), mac))
          .map(x -> status.status())
          .otherwise(status.status());
    }));
  }

  private record Verified(ChainStatus status, String lastHash) {
  }

  private Future<Verified> verifyFrom(String tenantId, long keyedFrom, long afterSeq, String prevHash, long count) {
    return readPool.preparedQuery(AuditSql.CHAIN_CHUNK).execute(Tuple.of(tenantId, afterSeq, CHAIN_CHUNK))
        .compose(rows -> {
          List<Row> list = new ArrayList<>();
          rows.forEach(list::add);
          return vertx.executeBlocking(() -> {
            long expected = afterSeq;
            String prev = prevHash;
            for (Row r : list) {
              long seq = r.getLong("seq");
              expected++;
              AuditEvent e = eventOf(tenantId, r);
              String want = seq < keyedFrom ? AuditChain.hash(e, seq, prev) : chain.keyed(e, seq, prev);
              if (seq != expected || !prev.equals(r.getString("prev_hash")) || !want.equals(r.getString("hash"))) {
                return new Verified(new ChainStatus(false, Math.min(seq, expected), count + (seq - afterSeq) - 1), prev);
              }
              prev = r.getString("hash");
            }
            return new Verified(new ChainStatus(true, null, count + list.size()), prev);
          }, false).compose(v -> {
            if (!v.status().valid() || list.size() < CHAIN_CHUNK) {
              return Future.succeededFuture(v);
            }
            Row last = list.get(list.size() - 1);
            return verifyFrom(tenantId, keyedFrom, last.getLong("seq"), last.getString("hash"), v.status().records());
          });
        });
  }

  /**
   * Who used which keys of the tenants (all, or those named) in {@code [from, to)}: per tenant the
   * number of events and, per action, outcome, principal and kid, how many and when first and last.
   * At most 10,000 groups ({@code truncated} says whether there were more).
   */
  public Future<JsonObject> usage(boolean all, List<String> tenantIds, OffsetDateTime from, OffsetDateTime to) {
    return readPool.preparedQuery(AuditSql.USAGE)
        .execute(Tuple.of(all, tenantIds.toArray(new String[0]), from, to))
        .map(rows -> {
          JsonObject tenants = new JsonObject();
          int[] count = {0};
          rows.forEach(r -> {
            if (++count[0] > 10_000) {
              return;
            }
            JsonObject t = tenants.getJsonObject(r.getString("tenant_id"));
            if (t == null) {
              t = new JsonObject().put("events", 0L).put("usage", new JsonArray());
              tenants.put(r.getString("tenant_id"), t);
            }
            t.put("events", t.getLong("events") + r.getLong("n"));
            t.getJsonArray("usage").add(new JsonObject().put("action", r.getString("action"))
                .put("outcome", r.getString("outcome")).put("principal", r.getString("principal")).put("kid", r.getString("kid"))
                .put("count", r.getLong("n")).put("first", r.getOffsetDateTime("first").toString())
                .put("last", r.getOffsetDateTime("last").toString()));
          });
          return new JsonObject().put("window", new JsonObject().put("from", from.toString()).put("to", to.toString()))
              .put("tenants", tenants).put("truncated", count[0] > 10_000)
              .put("detail", "GET /v1/tenants/{tid}/audit?from=...&to=... gives every record, hash-chained");
        });
  }

  private static AuditEvent eventOf(String tenantId, Row r) {
    return new AuditEvent(tenantId, r.getOffsetDateTime("at").toInstant(), r.getString("kid"), r.getString("principal"),
        r.getString("action"), r.getString("outcome"), r.getString("node"), r.getString("request_id"), r.getString("detail"));
  }

  private static JsonObject toJson(Row r) {
    JsonObject json = new JsonObject()
        .put("seq", r.getLong("seq"))
        .put("at", r.getOffsetDateTime("at").toInstant().toString())
        .put("kid", r.getString("kid"))
        .put("principal", r.getString("principal"))
        .put("action", r.getString("action"))
        .put("outcome", r.getString("outcome"))
        .put("node", r.getString("node"))
        .put("requestId", r.getString("request_id"))
        .put("hash", r.getString("hash"));
    String detail = r.getString("detail");
    json.put(RAW_DETAIL, detail).put(PREV_HASH, r.getString("prev_hash"));
    Object shown = AuditEvent.detailJson(detail);
    return shown == null ? json : json.put("detail", shown);
  }
}
