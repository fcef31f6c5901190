package io.licensor.faults;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL, the source of truth, stops under load and comes back, and licensor is not restarted.
 * While it is down: whatever needs it answers 503 at once (never 500, never a hang), and readiness
 * says the database is down. With durable key-use records (the default) a license waits for its
 * record, so licensing stops too (503 audit-unavailable); with {@code audit.keyUseDurable=false}
 * licensing of cached tenants goes on while the directory lease runs, its audit records held in
 * memory. When it is back: everything works again, and every license that was answered 200 has its
 * audit record. A PostgreSQL of its own (the real server binaries, stopped and
 * started on the same data directory and port), so the fault touches no other test.
 */
class DatabaseOutageTest {

  record Outcome(long atNanos, int status, String slug, long millis) {
  }

  @ParameterizedTest(name = "durable key-use records: {0}")
  @ValueSource(booleans = {true, false})
  @DisplayName("PostgreSQL stopped under load: 503 fast, readiness down; back: full service, no audit record lost")
  void stopAndRestartUnderLoad(boolean durable, @TempDir Path pgData) throws Exception {
    int port = ClusterFixture.freePorts(1)[0];
    EmbeddedPostgres pg = postgres(pgData, port);
    String url = "postgresql://postgres@127.0.0.1:" + port + "/postgres";
    JsonObject settings = new JsonObject()
        .put("database", new JsonObject().put("url", url).put("poolSize", 4))
        .put("audit", new JsonObject().put("flushMillis", 50).put("keyUseDurable", durable))
        // longer than the outage: without durable records, licensing of cached tenants goes on through it
        .put("cluster", new JsonObject().put("leaseMillis", 30_000));
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log = new ch.qos.logback.core.read.ListAppender<>();
    log.start();
    ch.qos.logback.classic.Logger problems = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        "io.licensor.http.ProblemResponses");
    problems.addAppender(log);
    try (TestNode node = TestNode.start(settings)) {
      Http http = node.http;
      Issuer idp = node.createTenant("outage", "EC-P256");
      String pl = Licensing.publishOk(http, "outage", idp, "doc");
      AtomicBoolean running = new AtomicBoolean(true);
      ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
      List<Thread> load = List.of(loader(http, idp, pl, running, outcomes), loader(http, idp, pl, running, outcomes));
      load.forEach(Thread::start);
      Thread.sleep(1500);

      pg.close();
      long down = System.nanoTime();
      Thread.sleep(300);
      long t0 = System.nanoTime();
      Http.Response rekey = Licensing.rekey(http, node.operatorToken(), "outage");
      long rekeyMillis = (System.nanoTime() - t0) / 1_000_000;
      assertThat(rekey.status()).as(rekey.toString()).isEqualTo(503);
      assertThat(rekey.slug()).isEqualTo("database-unavailable");
      assertThat(rekey.header("Retry-After")).isPresent();
      assertThat(rekeyMillis).as("re-key refused fast").isLessThan(3000);
      Http.Response created = http.post("/v1/tenants", node.operatorToken(), TestNode.tenantRequest("during", "EC-P256", Issuer.ec("https://idp.test/during")));
      assertThat(created.status()).as(created.toString()).isEqualTo(503);
      Http.Response ready = http.get("/health/ready", node.operatorToken());
      // a license needs the database when it waits for its record; else the node serves while its lease runs
      assertThat(ready.status()).as(ready.toString()).isEqualTo(durable ? 503 : 200);
      assertThat(ready.json().getJsonObject("checks").getJsonObject("database").getString("status")).isEqualTo("DOWN");
      assertThat(http.get("/health/lifecycle", null).status()).as("lifecycle calls need the database").isEqualTo(503);
      Thread.sleep(3000);

      long restarting = System.nanoTime();
      pg = postgres(pgData, port);
      long up = System.nanoTime();
      // full service again, without restarting licensor
      Http.Response rekeyAfter = null;
      for (int i = 0; i < 60; i++) {
        rekeyAfter = Licensing.rekey(http, node.operatorToken(), "outage");
        if (rekeyAfter.status() != 503) {
          break;
        }
        Thread.sleep(500);
      }
      assertThat(rekeyAfter.status()).as(rekeyAfter.toString()).isEqualTo(201);
      long recoveredMillis = (System.nanoTime() - up) / 1_000_000;
      assertThat(http.get("/health/ready", null).status()).isEqualTo(200);
      assertThat(http.post("/v1/tenants", node.operatorToken(), TestNode.tenantRequest("after", "EC-P256", Issuer.ec("https://idp.test/after"))).status())
          .isEqualTo(201);
      Thread.sleep(3000);
      running.set(false);
      for (Thread t : load) {
        t.join(10_000);
      }

      List<Outcome> during = outcomes.stream().filter(o -> o.atNanos() > down && o.atNanos() < up).toList();
      List<Outcome> after = outcomes.stream().filter(o -> o.atNanos() > up + 2_000_000_000L).toList();
      long ok = outcomes.stream().filter(o -> o.status() == 200).count();
      System.out.printf("database outage: %d licenses, %d during the outage (%d ok), re-key refused in %d ms, service back "
          + "%d ms after PostgreSQL%n", outcomes.size(), during.size(), during.stream().filter(o -> o.status() == 200).count(),
          rekeyMillis, recoveredMillis);
      assertThat(outcomes).allSatisfy(o -> {
        assertThat(o.status()).as("never a 500: %s", o).isIn(200, 503);
        assertThat(o.millis()).as("never a hang: %s", o).isLessThan(5000);
      });
      assertThat(during).as("licensing was answered").isNotEmpty();
      if (!durable) {
        assertThat(during.stream().filter(o -> o.status() == 200).count()).as("licensing went on").isPositive();
      } else {
        // answered after the first second of the outage and before PostgreSQL began to start again
        assertThat(during.stream().filter(o -> o.atNanos() > down + 1_000_000_000L)
            .filter(o -> o.atNanos() + o.millis() * 1_000_000L < restarting).filter(o -> o.status() == 200).count())
            .as("no license answered while its record could not be written").isZero();
      }
      assertThat(after).isNotEmpty().allMatch(o -> o.status() == 200);

      // each kind of 503 is one WARN line per 5 s, with how many more there were: not a line and a stack trace per request
      long refused = outcomes.stream().filter(o -> o.status() == 503).count();
      List<ch.qos.logback.classic.spi.ILoggingEvent> lines = List.copyOf(log.list);
      long transientLines = lines.stream().filter(e -> e.getFormattedMessage().contains(": 503 ")).count();
      System.out.printf("database outage: %d requests answered 503, %d log line(s) about them%n", refused, transientLines);
      assertThat(lines).as("no ERROR (and no stack trace) for a 503").noneMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR);
      long outageSeconds = (up - down) / 1_000_000_000L + 1;
      assertThat(transientLines).as("%d 503s", refused).isLessThanOrEqualTo(4 * (outageSeconds / 5 + 2));

      // every license answered 200 has its audit record, the outage's included
      long audited = 0;
      for (int i = 0; i < 40 && audited < ok; i++) {
        Thread.sleep(250);
        audited = countIssued(http, node.operatorToken());
      }
      assertThat(audited).isEqualTo(ok);
      JsonObject audit = http.get("/v1/tenants/outage/audit?limit=1", node.operatorToken()).json();
      assertThat(audit.getBoolean("chainValid")).isTrue();
    } finally {
      problems.detachAppender(log);
      pg.close();
    }
  }

  private static long countIssued(Http http, String token) {
    long n = 0;
    JsonArray events = http.get("/v1/tenants/outage/audit?limit=1000", token).json().getJsonArray("events");
    for (Object e : events) {
      if ("license.issued".equals(((JsonObject) e).getString("action")) && "ok".equals(((JsonObject) e).getString("outcome"))) {
        n++;
      }
    }
    return n;
  }

  private static Thread loader(Http http, Issuer idp, String pl, AtomicBoolean running, ConcurrentLinkedQueue<Outcome> out) {
    return new Thread(() -> {
      while (running.get()) {
        long start = System.nanoTime();
        Http.Response r = Licensing.license(http, "outage", idp, pl);
        long end = System.nanoTime();
        out.add(new Outcome(start, r.status(), r.status() == 200 ? "" : r.slug(), (end - start) / 1_000_000));
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "license-load");
  }

  private static EmbeddedPostgres postgres(Path data, int port) throws Exception {
    return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port).start();
  }
}
