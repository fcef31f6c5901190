package io.licensor.cryptopolicy;

import io.licensor.hsm.KeyAlgorithm;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.EnumSet;
import java.util.Set;
import java.util.function.Function;

/**
 * The crypto policy in PostgreSQL. Read from the database on every use (new key versions and tenant
 * views are rare next to licensing), so every node enforces the policy of the moment.
 */
public final class CryptoPolicyStore {

  private final Pool pool;

  public CryptoPolicyStore(Pool pool) {
    this.pool = pool;
  }

  public Future<CryptoPolicy> current() {
    return current(pool);
  }

  public Future<CryptoPolicy> current(SqlClient client) {
    return read(client, CURRENT);
  }

  /**
   * The policy, its row locked until the caller's transaction ends: changes of the policy (an
   * operator's, an incident's raise) run one after another, each seeing the one it replaces.
   */
  public Future<CryptoPolicy> currentForUpdate(SqlConnection transaction) {
    return read(transaction, CURRENT + " FOR UPDATE");
  }

  /** Runs {@code work} in one transaction. */
  public <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work) {
    return pool.withTransaction(work);
  }

  private static final String PUT = "UPDATE crypto_policy SET allowed_algorithms = $1, min_rsa_bits = $2,"
      + " updated_at = now(), updated_by = $3 WHERE id = 1";

  private static final String CURRENT = "SELECT allowed_algorithms, min_rsa_bits FROM crypto_policy WHERE id = 1";

  private static Future<CryptoPolicy> read(SqlClient client, String sql) {
    return client.query(sql).execute()
        .map(rows -> {
          Row row = rows.iterator().next();
          Set<KeyAlgorithm> allowed = EnumSet.noneOf(KeyAlgorithm.class);
          for (String name : row.getArrayOfStrings("allowed_algorithms")) {
            KeyAlgorithm.fromWireName(name).ifPresent(allowed::add);
          }
          return new CryptoPolicy(allowed, row.getInteger("min_rsa_bits"));
        });
  }

  /** Replaces the policy (inside the caller's transaction when {@code client} is one). */
  public Future<Void> put(SqlClient client, CryptoPolicy policy, String by) {
    String[] names = policy.allowedAlgorithms().stream().sorted().map(KeyAlgorithm::wireName).toArray(String[]::new);
    return client.preparedQuery(PUT)
        .execute(Tuple.of(names, policy.minRsaBits(), by)).mapEmpty();
  }
}
