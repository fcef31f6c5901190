package io.licensor.audit;

import io.licensor.errors.Problem;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tamper-evident audit trail. Records queue in memory and are written in batches, chained per
 * tenant, in one transaction per batch. A batch that fails to write goes back to the head of the
 * queue and is retried; nothing is dropped. The queue is bounded: when it is full — the database
 * has been refusing writes for a while — key use stops with 503 audit-unavailable rather than go
 * unrecorded. Lifecycle operations wait until their record is durable.
 */
public final class AuditLog {

  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final int CHAIN_CHUNK = 2000;

  private record Pending(AuditEvent event, Promise<Void> durable) {
  }

  /** What a page of the trail and the chain check found. */
  public record Page(JsonArray events, Long next, ChainStatus chain) {
  }

  /** Whether a tenant's chain verifies, and if not, the first record where it breaks. */
  public record ChainStatus(boolean valid, Long brokenAt, long records) {
  }

  private final Vertx vertx;
  private final Pool pool;
  private final String node;
  private final int capacity;
  private final int batchSize;
  private final boolean keyUse;
  private final Deque<Pending> queue = new ConcurrentLinkedDeque<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean flushing = new AtomicBoolean();
  private volatile long lastFailureLog;
  private long timer = -1;

  public AuditLog(Vertx vertx, Pool pool, String node, int capacity, int batchSize, boolean keyUse) {
    this.vertx = vertx;
    this.pool = pool;
    this.node = node;
    this.capacity = capacity;
    this.batchSize = batchSize;
    this.keyUse = keyUse;
  }

  public String node() {
    return node;
  }

  public void start(long flushMillis) {
    timer = vertx.setPeriodic(flushMillis, id -> flush());
  }

  /**
   * Stops the timer, then writes what is queued: it waits for a batch already being written (its
   * records are counted but no longer in the queue) and retries failed writes until the deadline.
   * Fails, naming how many records are left, if they cannot all be written by then.
   */
  public Future<Void> stop(long timeoutMillis) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return drain(System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
  }

  private Future<Void> drain(long deadline) {
    if (queued.get() == 0) {
      return Future.succeededFuture();
    }
    if (System.nanoTime() - deadline > 0) {
      return Future.failedFuture(new IllegalStateException(queued.get() + " audit record(s) not written"));
    }
    if (!flushing.compareAndSet(false, true)) {
      // a batch is being written: wait for it rather than close the pool under it
      return vertx.timer(10).compose(t -> drain(deadline));
    }
    return flushOnce().transform(ar -> {
      flushing.set(false);
      return ar.succeeded() ? drain(deadline) : vertx.timer(250).compose(t -> drain(deadline));
    });
  }

  /** Told of every batch written: its size, the age of its oldest record, and the write's duration. */
  public interface BatchListener {
    void written(int records, long lagMillis, long writeNanos);
  }

  private volatile BatchListener batchListener;

  public void onBatch(BatchListener listener) {
    this.batchListener = listener;
  }

  /** Records queued now, not yet written. */
  public int backlog() {
    return queued.get();
  }

  /**
   * Records a key use (publish, license issued or denied). Not awaited: it is written with the
   * next batch. Throws 503 audit-unavailable when the queue is full.
   */
  public void recordKeyUse(AuditEvent event) {
    if (!keyUse) {
      return;
    }
    enqueue(event, null);
  }

  /** Records a lifecycle event; completes once the record is durable in PostgreSQL. */
  public Future<Void> record(AuditEvent event) {
    Promise<Void> durable = Promise.promise();
    try {
      enqueue(event, durable);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    flush();
    return durable.future();
  }

  private void enqueue(AuditEvent event, Promise<Void> durable) {
    if (queued.incrementAndGet() > capacity) {
      queued.decrementAndGet();
      throw Problem.AUDIT_UNAVAILABLE.with("the audit trail cannot be written now; key use is suspended until it can");
    }
    queue.addLast(new Pending(event, durable));
  }

  private void flush() {
    if (queued.get() > 0 && flushing.compareAndSet(false, true)) {
      flushOnce().onComplete(ar -> {
        flushing.set(false);
        if (ar.succeeded() && queued.get() >= batchSize) {
          vertx.runOnContext(v -> flush());
        }
      });
    }
  }

  private Future<Void> flushOnce() {
    List<Pending> batch = new ArrayList<>();
    Pending p;
    while (batch.size() < batchSize && (p = queue.pollFirst()) != null) {
      batch.add(p);
    }
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    long started = System.nanoTime();
    return pool.withTransaction(conn -> write(conn, batch))
        .onSuccess(v -> {
          queued.addAndGet(-batch.size());
          BatchListener listener = batchListener;
          if (listener != null) {
            long oldest = batch.stream().mapToLong(b -> b.event().at().toEpochMilli()).min().orElse(System.currentTimeMillis());
            listener.written(batch.size(), Math.max(0, System.currentTimeMillis() - oldest), System.nanoTime() - started);
          }
          batch.forEach(b -> {
            if (b.durable() != null) {
              b.durable().tryComplete();
            }
          });
        })
        .onFailure(err -> {
          for (int i = batch.size() - 1; i >= 0; i--) {
            queue.addFirst(batch.get(i));
          }
          long now = System.currentTimeMillis();
          if (now - lastFailureLog > 5_000) {
            lastFailureLog = now;
            LOG.error("audit batch of {} record(s) not written; kept and retried ({} queued): {}", batch.size(),
                queued.get(), err.toString());
          }
        });
  }

  private Future<Void> write(SqlConnection conn, List<Pending> batch) {
    TreeSet<String> tenants = new TreeSet<>();
    batch.forEach(b -> tenants.add(b.event().tenantId()));
    String[] ids = tenants.toArray(new String[0]);
    return conn.preparedQuery(AuditSql.ENSURE_HEADS).execute(Tuple.of(ids, AuditChain.GENESIS))
        .compose(r -> conn.preparedQuery(AuditSql.LOCK_HEADS).execute(Tuple.of((Object) ids)))
        .compose(rows -> {
          Map<String, long[]> seqs = new HashMap<>();
          Map<String, String> hashes = new HashMap<>();
          for (Row row : rows) {
            seqs.put(row.getString("tenant_id"), new long[] {row.getLong("seq")});
            hashes.put(row.getString("tenant_id"), row.getString("hash"));
          }
          int n = batch.size();
          String[][] text = new String[10][n];
          Long[] seqColumn = new Long[n];
          OffsetDateTime[] at = new OffsetDateTime[n];
          for (int i = 0; i < n; i++) {
            AuditEvent e = batch.get(i).event();
            long seq = ++seqs.get(e.tenantId())[0];
            String prev = hashes.get(e.tenantId());
            String hash = AuditChain.hash(e, seq, prev);
            hashes.put(e.tenantId(), hash);
            seqColumn[i] = seq;
            at[i] = OffsetDateTime.ofInstant(e.at(), ZoneOffset.UTC);
            String[] row = {e.tenantId(), e.kid(), e.principal(), e.action(), e.outcome(), e.node(), e.requestId(),
                e.detail(), prev, hash};
            for (int c = 0; c < row.length; c++) {
              text[c][i] = row[c];
            }
          }
          Tuple insert = Tuple.tuple().addValue(text[0]).addValue(seqColumn).addValue(at);
          for (int c = 1; c < 10; c++) {
            insert.addValue(text[c]);
          }
          List<Tuple> heads = new ArrayList<>();
          for (String t : ids) {
            heads.add(Tuple.of(t, seqs.get(t)[0], hashes.get(t)));
          }
          return conn.preparedQuery(AuditSql.INSERT_EVENTS).execute(insert)
              .compose(x -> conn.preparedQuery(AuditSql.UPDATE_HEAD).executeBatch(heads))
              .mapEmpty();
        });
  }

  /** A page of a tenant's trail (by time window, after a sequence number) and the whole chain's status. */
  public Future<Page> read(String tenantId, Instant from, Instant to, long afterSeq, int limit) {
    Future<JsonArray> page = pool.preparedQuery(AuditSql.PAGE).execute(Tuple.of(tenantId,
            OffsetDateTime.ofInstant(from, ZoneOffset.UTC), OffsetDateTime.ofInstant(to, ZoneOffset.UTC), afterSeq, limit))
        .map(rows -> {
          JsonArray events = new JsonArray();
          for (Row r : rows) {
            events.add(toJson(r));
          }
          return events;
        });
    return page.compose(events -> verify(tenantId).map(chain -> new Page(events,
        events.size() == limit ? events.getJsonObject(events.size() - 1).getLong("seq") : null, chain)));
  }

  /** Re-computes a tenant's whole chain from its first record to its head. */
  public Future<ChainStatus> verify(String tenantId) {
    return verifyFrom(tenantId, 0, AuditChain.GENESIS, 0)
        .compose(status -> !status.valid() ? Future.succeededFuture(status)
            : pool.preparedQuery(AuditSql.HEAD).execute(Tuple.of(tenantId)).map(rows -> {
              if (!rows.iterator().hasNext()) {
                return status;
              }
              Row head = rows.iterator().next();
              boolean tailIntact = head.getLong("seq") == status.records();
              return tailIntact ? status : new ChainStatus(false, status.records() + 1, status.records());
            }));
  }

  private Future<ChainStatus> verifyFrom(String tenantId, long afterSeq, String prevHash, long count) {
    return pool.preparedQuery(AuditSql.CHAIN_CHUNK).execute(Tuple.of(tenantId, afterSeq, CHAIN_CHUNK))
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
              if (seq != expected || !prev.equals(r.getString("prev_hash"))
                  || !AuditChain.hash(e, seq, prev).equals(r.getString("hash"))) {
                return new ChainStatus(false, Math.min(seq, expected), count + (seq - afterSeq) - 1);
              }
              prev = r.getString("hash");
            }
            return new ChainStatus(true, null, count + list.size());
          }, false).compose(status -> {
            if (!status.valid() || list.size() < CHAIN_CHUNK) {
              return Future.succeededFuture(status);
            }
            Row last = list.get(list.size() - 1);
            return verifyFrom(tenantId, last.getLong("seq"), last.getString("hash"), status.records());
          });
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
    if (detail != null) {
      try {
        json.put("detail", new JsonObject(detail));
      } catch (RuntimeException e) {
        json.put("detail", detail);
      }
    }
    return json;
  }
}
