package io.licensor.audit;

import io.licensor.errors.Problem;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.function.Consumer;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The tamper-evident audit trail. Records queue in memory and are written in batches, chained per
 * tenant, in one transaction per batch. A batch that fails to write goes back to the head of the
 * queue and is retried; nothing is dropped. The queue is bounded: when it is full — the database
 * has been refusing writes for a while — key use stops with 503 audit-unavailable rather than go
 * unrecorded. Lifecycle operations wait until their record is durable.
 */
public final class AuditLog {

  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  static final String KEYED_FROM = "keyed-from";
  static final String CHECKPOINT = "verified";
  static final String KEYING_MARK = "audit keyed";

  /**
   * {@code answer}: a key use whose answer waits for the record; told at once when a write fails.
   * {@code withheld}: that answer was not given (its record is written with outcome "withheld").
   */
  private record Pending(AuditEvent event, Promise<Void> durable, boolean answer, AtomicBoolean withheld) {
    Pending(AuditEvent event, Promise<Void> durable, boolean answer) {
      this(event, durable, answer, new AtomicBoolean());
    }

    /** The record as it is written. */
    AuditEvent written() {
      return withheld.get() ? event.withOutcome(WITHHELD) : event;
    }
  }

  private final Vertx vertx;
  private final Pool pool;
  private final AuditChain chain;
  private final String node;
  private final int capacity;
  private final int batchSize;
  private final boolean keyUse;
  private final Deque<Pending> queue = new ConcurrentLinkedDeque<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean flushing = new AtomicBoolean();
  private volatile long lastFailureLog;
  private long timer = -1;

  /**
   * {@code pool} writes the records (reads and verification are {@link AuditTrail}'s, on a pool of
   * their own). {@code chain}: the chain keyed from the world.
   */
  public AuditLog(Vertx vertx, Pool pool, AuditChain chain, String node, int capacity, int batchSize,
                  boolean keyUse) {
    this(vertx, pool, chain, node, capacity, batchSize, keyUse, false, 5000);
  }

  /**
   * With {@code keyUseDurable}, {@link #recordKeyUse} completes once the record is durable (or
   * fails 503 audit-unavailable after {@code durableTimeoutMillis}): records are written as soon as
   * they come, those that arrive during a write going together into the next one (group commit).
   */
  public AuditLog(Vertx vertx, Pool pool, AuditChain chain, String node, int capacity, int batchSize,
                  boolean keyUse, boolean keyUseDurable, long durableTimeoutMillis) {
    this.vertx = vertx;
    this.pool = pool;
    this.chain = chain;
    this.node = node;
    this.capacity = capacity;
    this.batchSize = batchSize;
    this.keyUse = keyUse;
    this.keyUseDurable = keyUseDurable;
    this.durableTimeoutMillis = durableTimeoutMillis;
  }

  private final boolean keyUseDurable;
  private final long durableTimeoutMillis;
  /** The last write failed and none has succeeded since. */
  private volatile boolean failing;

  public String node() {
    return node;
  }

  public void start(long flushMillis) {
    timer = vertx.setPeriodic(flushMillis, id -> {
      summariseRefusals(false);
      flush();
    });
  }

  /** Tenants whose audit_heads row this node has seen (bounded: past the bound, forgotten and asked again). */
  private final Set<String> headsSeen = ConcurrentHashMap.newKeySet();
  private static final int MAX_HEADS_SEEN = 200_000;
  /** Refusals of callers without the role, per "tenant action outcome", since the last summary. */
  private final ConcurrentHashMap<String, LongAdder> refusals =
      new ConcurrentHashMap<>();
  private volatile long lastSummaryMillis = System.currentTimeMillis();
  static final long SUMMARY_MILLIS = 60_000;

  /**
   * Counts a refusal of a caller who lacks the role the operation needs (a plain user asking to
   * export a key): such refusals do not each become a durable record — a user could append them by
   * the hundred per second — but one record per tenant, action and outcome each minute says how
   * many there were.
   */
  public void refusedWithoutRole(String tenantId, String action, String outcome) {
    refusals.computeIfAbsent(tenantId + " " + action + " " + outcome, k -> new LongAdder()).increment();
  }

  private void summariseRefusals(boolean now) {
    long at = System.currentTimeMillis();
    if (refusals.isEmpty() || (!now && at - lastSummaryMillis < SUMMARY_MILLIS)) {
      return;
    }
    long window = Math.max(1, (at - lastSummaryMillis) / 1000);
    lastSummaryMillis = at;
    for (String key : List.copyOf(refusals.keySet())) {
      LongAdder count = refusals.remove(key);
      String[] parts = key.split(" ", 3);
      try {
        enqueue(AuditEvent.now(parts[0], null, "(callers without the role)", parts[1], parts[2], node, null,
            new JsonObject().put("count", count.sum()).put("windowSeconds", window).encode()), null);
      } catch (RuntimeException e) {
        // the queue is full: the count is lost with the key uses that are refused meanwhile
      }
    }
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
    summariseRefusals(true);
    return drain(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
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
  private volatile Consumer<List<AuditRecord>> recordsListener;

  public void onBatch(BatchListener listener) {
    this.batchListener = listener;
  }

  /**
   * Told of every record once its batch has committed, as chained (sequence, previous hash, hash),
   * in the order written: the audit devices (a file, syslog) copy the stream from here.
   */
  public void onRecords(Consumer<List<AuditRecord>> listener) {
    this.recordsListener = listener;
  }

  /** Records queued now, not yet written. */
  public int backlog() {
    return queued.get();
  }

  /**
   * Records a key use (publish, license issued or denied). With durable key-use records the future
   * completes once the record is in PostgreSQL (the caller answers then), else at once, the record
   * written with the next batch. Throws 503 audit-unavailable when the queue is full.
   */
  public Future<Void> recordKeyUse(AuditEvent event) {
    if (!keyUse) {
      return Future.succeededFuture();
    }
    if (!keyUseDurable) {
      enqueue(event, null);
      return Future.succeededFuture();
    }
    if (failing) {
      // the last write failed and none has succeeded since: say so at once rather than hold the caller
      return Future.failedFuture(Problem.AUDIT_UNAVAILABLE.with("the audit trail cannot be written now (the database does "
          + "not accept it); a license is given only once its record is durable").header("Retry-After", "1"));
    }
    Promise<Void> durable = Promise.promise();
    Pending pending = enqueueAnswer(event, durable);
    flush();
    return durable.future().timeout(durableTimeoutMillis, TimeUnit.MILLISECONDS)
        .onFailure(err -> pending.withheld().set(true))
        .recover(err -> Future.failedFuture(err instanceof TimeoutException
            ? Problem.AUDIT_UNAVAILABLE.with("the key-use record could not be written within " + durableTimeoutMillis
                + " ms; the answer is withheld (the record is kept and written when the database answers)")
                .header("Retry-After", "1")
            : err));
  }

  /** Whether answers wait for their key-use records (so licensing needs the database). */
  public boolean keyUseDurable() {
    return keyUse && keyUseDurable;
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

  private Pending enqueueAnswer(AuditEvent event, Promise<Void> durable) {
    Pending pending = new Pending(event, durable, true);
    enqueue(pending);
    return pending;
  }

  /** The outcome of a key use whose answer was withheld because its record could not be written in time. */
  public static final String WITHHELD = "withheld";

  private void enqueue(AuditEvent event, Promise<Void> durable) {
    enqueue(new Pending(event, durable, false));
  }

  private void enqueue(Pending pending) {
    if (queued.incrementAndGet() > capacity) {
      queued.decrementAndGet();
      throw Problem.AUDIT_UNAVAILABLE.with("the audit trail cannot be written now; key use is suspended until it can")
          .header("Retry-After", "1");
    }
    queue.addLast(pending);
  }

  private void flush() {
    if (queued.get() > 0 && flushing.compareAndSet(false, true)) {
      flushOnce().onComplete(ar -> {
        flushing.set(false);
        // group commit: what arrived during the write goes at once, awaited records must not wait for the timer
        if (ar.succeeded() && (queued.get() >= batchSize || (keyUseDurable && queued.get() > 0))) {
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
        .onSuccess(records -> {
          Consumer<List<AuditRecord>> copies = recordsListener;
          if (copies != null) {
            copies.accept(records);
          }
        })
        .<Void>mapEmpty()
        .onSuccess(v -> {
          failing = false;
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
          failing = true;
          for (int i = batch.size() - 1; i >= 0; i--) {
            Pending kept = batch.get(i);
            if (kept.answer() && kept.durable() != null) {
              // the answer is withheld now (503); the record is kept and written once the database takes it
              kept.durable().tryFail(Problem.AUDIT_UNAVAILABLE.with("the key-use record could not be written (the database "
                  + "does not accept it); the answer is withheld").header("Retry-After", "1"));
              kept.withheld().set(true);
              kept = new Pending(kept.event(), null, false, kept.withheld());
            }
            queue.addFirst(kept);
          }
          long now = System.currentTimeMillis();
          if (now - lastFailureLog > 5_000) {
            lastFailureLog = now;
            LOG.error("audit batch of {} record(s) not written; kept and retried ({} queued): {}", batch.size(),
                queued.get(), err.toString());
          }
        });
  }

  private Future<List<AuditRecord>> write(SqlConnection conn, List<Pending> batch) {
    TreeSet<String> tenants = new TreeSet<>();
    batch.forEach(b -> tenants.add(b.event().tenantId()));
    String[] ids = tenants.toArray(new String[0]);
    // a chain's head row is made once, by its first batch: the tenants this node has seen a head of
    // are not asked again (under traffic spread over 10,000 tenants, a batch names dozens of them)
    String[] fresh = tenants.stream().filter(t -> !headsSeen.contains(t)).toArray(String[]::new);
    Map<String, long[]> seqs = new HashMap<>();
    Map<String, String> hashes = new HashMap<>();
    return ensureHeads(conn, fresh)
        .compose(r -> lockHeads(conn, ids, seqs, hashes))
        .compose(r -> {
          // a head this node had seen and is gone (the tenant's audit removed under the running node)
          // is made again, as for a new tenant, rather than failing the batch for good
          String[] gone = tenants.stream().filter(t -> !seqs.containsKey(t)).toArray(String[]::new);
          if (gone.length == 0) {
            return Future.succeededFuture();
          }
          LOG.warn("the audit chain head of {} tenant(s) was missing; each chain starts again", gone.length);
          return ensureHeads(conn, gone).compose(x -> lockHeads(conn, gone, seqs, hashes));
        })
        .compose(r -> {
          int n = batch.size();
          List<AuditRecord> records = new ArrayList<>(n);
          String[][] text = new String[10][n];
          Long[] seqColumn = new Long[n];
          OffsetDateTime[] at = new OffsetDateTime[n];
          for (int i = 0; i < n; i++) {
            AuditEvent e = batch.get(i).written();
            long seq = ++seqs.get(e.tenantId())[0];
            String prev = hashes.get(e.tenantId());
            String hash = chain.keyed(e, seq, prev);
            hashes.put(e.tenantId(), hash);
            records.add(new AuditRecord(e, seq, prev, hash));
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
          Long[] headSeqs = new Long[ids.length];
          String[] headHashes = new String[ids.length];
          for (int i = 0; i < ids.length; i++) {
            headSeqs[i] = seqs.get(ids[i])[0];
            headHashes[i] = hashes.get(ids[i]);
          }
          return conn.preparedQuery(AuditSql.INSERT_EVENTS).execute(insert)
              .compose(x -> conn.preparedQuery(AuditSql.UPDATE_HEADS).execute(Tuple.of(ids, headSeqs, headHashes)))
              .onSuccess(x -> {
                if (headsSeen.size() > MAX_HEADS_SEEN) {
                  headsSeen.clear();
                }
                headsSeen.addAll(tenants);
              })
              .map(records);
        });
  }

  /** Makes the heads of new chains (keyed from their first record), in tenant order; none when {@code ids} is empty. */
  private Future<Void> ensureHeads(SqlConnection conn, String[] ids) {
    if (ids.length == 0) {
      return Future.succeededFuture();
    }
    String[] keyedMacs = new String[ids.length];
    for (int i = 0; i < ids.length; i++) {
      keyedMacs[i] = chain.mac(KEYED_FROM, ids[i], "1");
    }
    return conn.preparedQuery(AuditSql.ENSURE_HEADS).execute(Tuple.of(ids, AuditChain.GENESIS, keyedMacs)).mapEmpty();
  }

  /** Locks the heads of {@code ids} (in tenant order) for this transaction, reading each one's seq and hash. */
  private static Future<Void> lockHeads(SqlConnection conn, String[] ids, Map<String, long[]> seqs, Map<String, String> hashes) {
    return conn.preparedQuery(AuditSql.LOCK_HEADS).execute(Tuple.of((Object) ids)).map(rows -> {
      for (Row row : rows) {
        seqs.put(row.getString("tenant_id"), new long[] {row.getLong("seq")});
        hashes.put(row.getString("tenant_id"), row.getString("hash"));
      }
      return null;
    });
  }

  /**
   * Once per database, by the first node that starts with the keyed chain: marks every existing
   * chain as keyed from its next record (its earlier records stay plain SHA-256), under MACs, and
   * records that this was done, so that a head without a valid mark is a broken chain from then on.
   */
  public Future<Void> markChainsKeyed() {
    return pool.withTransaction(conn -> conn.query(AuditSql.LOCK_KEYING).execute()
        .compose(r -> conn.query(AuditSql.KEYING).execute())
        .compose(rows -> {
          if (rows.iterator().hasNext()) {
            return Future.<Void>succeededFuture();
          }
          return conn.query(AuditSql.UNMARKED_HEADS).execute().compose(heads -> {
            List<Tuple> marks = new ArrayList<>();
            for (Row h : heads) {
              String t = h.getString("tenant_id");
              long from = h.getLong("seq") + 1;
              marks.add(Tuple.of(t, from, chain.mac(KEYED_FROM, t, Long.toString(from))));
            }
            Future<?> marked = marks.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(AuditSql.MARK_HEAD).executeBatch(marks);
            if (!marks.isEmpty()) {
              LOG.info("audit: the chains of {} tenant(s) are keyed from their next record on", marks.size());
            }
            return marked.compose(x -> conn.preparedQuery(AuditSql.INSERT_KEYING).execute(Tuple.of(chain.mac(KEYING_MARK))))
                .<Void>mapEmpty();
          });
        }));
  }
}
