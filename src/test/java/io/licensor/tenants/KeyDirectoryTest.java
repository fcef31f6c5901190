package io.licensor.tenants;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PreparedQuery;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.net.ConnectException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The review's {@code Recursive update} 500 (issue 17, item 15): a tenant load that failed before
 * it returned (its pool refusing at once) removed its own entry from inside the map's
 * computeIfAbsent; the IllegalStateException that threw became the load's failure, stayed in the
 * map, and every later lookup of that tenant got it back (a 500) without asking the database again.
 */
@DisplayName("A tenant lookup whose load fails at once fails with the database's error, and the next one asks again")
class KeyDirectoryTest {

  @Test
  @DisplayName("two lookups after loads that fail at once: each asks the database, each fails with its error")
  void failedLoadsAreNotKept() throws Exception {
    AtomicInteger queries = new AtomicInteger();
    KeyDirectory directory = new KeyDirectory(new TenantStore(failingAtOnce(queries), Set.of(), 100), 60_000);
    for (int i = 1; i <= 2; i++) {
      Future<Optional<TenantKeys>> lookup = directory.get("contoso");
      Throwable cause = lookup.toCompletionStage().toCompletableFuture().handle((v, e) -> e).get(10, TimeUnit.SECONDS);
      assertThat(cause).as("lookup " + i).isNotNull();
      Throwable root = cause;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      assertThat(root).as("lookup " + i + ": " + cause).isInstanceOf(ConnectException.class);
      assertThat(queries.get()).as("queries after lookup " + i).isEqualTo(i);
    }
  }

  /** A Pool (a dynamic proxy) whose prepared queries answer with an already failed future, counting them. */
  static Pool failingAtOnce(AtomicInteger queries) {
    Object query = Proxy.newProxyInstance(KeyDirectoryTest.class.getClassLoader(),
        new Class<?>[] {PreparedQuery.class}, (proxy, method, args) -> {
          if (method.getName().equals("execute") || method.getName().equals("executeBatch")) {
            queries.incrementAndGet();
            return Future.failedFuture(new ConnectException("refused"));
          }
          return null;
        });
    return (Pool) Proxy.newProxyInstance(KeyDirectoryTest.class.getClassLoader(), new Class<?>[] {Pool.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "preparedQuery", "query" -> query;
          case "close" -> Future.succeededFuture();
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }
}
