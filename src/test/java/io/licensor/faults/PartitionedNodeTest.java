package io.licensor.faults;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.NetNamespace;
import io.licensor.support.NodeProcess;
import io.licensor.support.TcpForward;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 18, item 1, the partition: three node processes, C in a network namespace of its own whose
 * cluster link (Hazelcast, event bus) the test cuts while C still reaches the database and its
 * clients. On 73c5f13 such a node heard of a cancel only at its sweep (30 s here) or Hazelcast's
 * merge, and went on licensing meanwhile. Here its lease renewals apply the cancel: it licenses
 * nothing for the tenant once the call has returned.
 */
@DisplayName("A node partitioned from its cluster licenses nothing for a tenant cancelled meanwhile")
class PartitionedNodeTest {

  static ClusterFixture cluster;
  static NetNamespace ns;
  static TcpForward database;
  static Process httpForward;
  static NodeProcess a;
  static NodeProcess b;
  static NodeProcess c;

  @BeforeAll
  static void start() throws Exception {
    ns = NetNamespace.create();
    cluster = new ClusterFixture();
    URI db = URI.create(cluster.databaseUrl.replaceFirst("^postgres(ql)?://", "http://"));
    database = new TcpForward(ns.dataHostIp(), 0, "127.0.0.1", db.getPort());
    String cDatabaseUrl = cluster.databaseUrl.replace("@" + db.getHost() + ":" + db.getPort(), "@" + ns.dataHostIp() + ":"
        + database.port()).replace("//" + db.getHost() + ":" + db.getPort(), "//" + ns.dataHostIp() + ":" + database.port());
    int[] hz = ClusterFixture.freePorts(3);
    int[] http = ClusterFixture.freePorts(3);
    String members = ns.clusterHostIp() + ":" + hz[0] + "," + ns.clusterHostIp() + ":" + hz[1] + "," + ns.clusterNsIp() + ":" + hz[2];
    a = new NodeProcess("part-a", settings("a", http[0], hz[0], members, ns.clusterHostIp(), cluster.databaseUrl),
        cluster.operators).start();
    b = new NodeProcess("part-b", settings("b", http[1], hz[1], members, ns.clusterHostIp(), cluster.databaseUrl),
        cluster.operators).start();
    // C's HTTP is plain, so on its own loopback: a forwarder in the namespace makes it reachable on the data link
    int forwardPort = ClusterFixture.freePorts(1)[0];
    List<String> forward = new ArrayList<>(ns.exec());
    forward.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
        Path.of(TcpForward.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
        TcpForward.class.getName(), ns.dataNsIp(), Integer.toString(forwardPort), "127.0.0.1", Integer.toString(http[2])));
    httpForward = new ProcessBuilder(forward).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    c = new NodeProcess("part-c", settings("c", http[2], hz[2], members, ns.clusterNsIp(), cDatabaseUrl), cluster.operators,
        ns.exec(), "http://" + ns.dataNsIp() + ":" + forwardPort).start();
    for (NodeProcess n : new NodeProcess[] {a, b, c}) {
      n.awaitReady(Duration.ofSeconds(120));
    }
    JsonObject view = a.http.get("/v1/cluster", op()).json();
    assertThat(view.getInteger("memberCount")).as(view.encode()).isEqualTo(3);
  }

  static JsonObject settings(String name, int httpPort, int hzPort, String members, String host, String databaseUrl) {
    JsonObject s = cluster.settings(name, cluster.dataDir(name), httpPort, cluster.clusterName, hzPort, members, 30);
    s.getJsonObject("cluster").put("host", host);
    s.getJsonObject("database").put("url", databaseUrl);
    return s;
  }

  @AfterAll
  static void stop() throws Exception {
    for (NodeProcess n : new NodeProcess[] {c, b, a}) {
      if (n != null) {
        n.stop();
      }
    }
    if (httpForward != null) {
      httpForward.destroyForcibly();
    }
    if (database != null) {
      database.close();
    }
    if (ns != null) {
      ns.close();
    }
  }

  static String op() {
    return cluster.operators.token("ops@licensor.test", List.of("operator"));
  }

  record Answer(long receivedNanos, int status, String slug) {
  }

  @Test
  @DisplayName("the cluster link cut, cancel on A: the call returns, and C answers nothing but refusals from then on")
  void partitionedNodeLicensesNothingAfterTheCancel() throws Exception {
    Issuer idp = Licensing.createTenant(a.http, op(), "cutoff", "EC-P256");
    String pl = Licensing.publishOk(a.http, "cutoff", idp, "doc");
    assertThat(Licensing.license(c.http, "cutoff", idp, pl).status()).isEqualTo(200);

    List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService load = Executors.newFixedThreadPool(2);
    for (int i = 0; i < 2; i++) {
      load.submit(() -> {
        while (running.get()) {
          try {
            Http.Response r = Licensing.license(c.http, "cutoff", idp, pl);
            answers.add(new Answer(System.nanoTime(), r.status(), r.status() == 200 ? null : r.slug()));
          } catch (RuntimeException e) {
            answers.add(new Answer(System.nanoTime(), 0, null));
          }
        }
      });
    }
    Thread.sleep(2_000);
    ns.cutCluster();
    Thread.sleep(1_000);
    long began = System.nanoTime();
    Http.Response cancelled = a.http.post("/v1/tenants/cutoff/cancel", op(), "");
    long returned = System.nanoTime();
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
    JsonObject propagation = cancelled.json().getJsonObject("propagation");
    System.out.printf("cancel with C partitioned took %d ms: %s%n", TimeUnit.NANOSECONDS.toMillis(returned - began),
        propagation.encode());
    Thread.sleep(6_000);
    running.set(false);
    load.shutdown();
    assertThat(load.awaitTermination(90, TimeUnit.SECONDS)).isTrue();
    ns.healCluster();

    List<Answer> before;
    List<Answer> after;
    synchronized (answers) {
      before = answers.stream().filter(x -> x.receivedNanos() - returned <= 0).toList();
      after = answers.stream().filter(x -> x.receivedNanos() - returned > 0).toList();
    }
    long licensed = after.stream().filter(x -> x.status() == 200).count();
    System.out.printf("C, partitioned: %d license(s) before the cancel returned; after it %d answer(s), %d with 200: %s%n",
        before.stream().filter(x -> x.status() == 200).count(), after.size(), licensed,
        after.stream().collect(Collectors.groupingBy(x -> x.status() + " " + x.slug(),
            Collectors.counting())));
    assertThat(before.stream().filter(x -> x.status() == 200).count()).as("C licensed before").isPositive();
    assertThat(after).as("C kept answering (its clients and database are reachable)").isNotEmpty();
    assertThat(licensed).as("use licenses C issued for the cancelled tenant after the cancel returned").isZero();
    assertThat(after.get(after.size() - 1).slug()).isEqualTo("subscription-cancelled");
  }
}
