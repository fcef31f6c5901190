package io.licensor.tenants;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.Curve;
import io.licensor.db.Migrations;
import io.licensor.errors.ProblemException;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.KeyToken;
import io.licensor.ids.Kid;
import io.licensor.keys.KeyOrigin;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.licensor.keys.PublicJwks;
import io.licensor.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key directory over a real PostgreSQL, without a node: it serves a tenant from its cache, a
 * refresh or a sweep learns of changes made behind its back, and a key version destroyed is
 * dropped from the HSM through the retired-key hook.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("The key directory caches tenants and learns of their changes")
class KeyDirectoryCacheTest {

  private String url;
  private Pool pool;
  private KeyDirectory directory;
  private final List<String> retired = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    url = TestDatabase.freshDatabaseUrl();
    PgConnectOptions connect = PgConnectOptions.fromUri(url);
    Migrations.apply(connect);
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(connect).using(vertx).build();
    TenantStore store = new TenantStore(pool, Set.of(), 10);
    directory = new KeyDirectory(store, 60_000);
    directory.onKeyRetired(kid -> {
      retired.add(kid);
      return Future.succeededFuture();
    });
    ECKey idp = new ECKeyGenerator(Curve.P_256).keyID("idp").generate();
    Tenant tenant = new Tenant("contoso", "Contoso", "admin@contoso.test",
        new TenantIdentity("https://idp.contoso.test", new JWKSet(idp.toPublicJWK())), TenantState.ACTIVE, Instant.now());
    ECKey key = new ECKeyGenerator(Curve.P_256).generate();
    KeyVersion first = new KeyVersion("contoso", 1, KeyVersionState.ACTIVE, KeyAlgorithm.EC_P256, KeyOrigin.SERVICE,
        PublicJwks.of(key.toECPublicKey(), Kid.of("contoso", 1)), new KeyToken("wtest", new byte[48]), Instant.now());
    store.insert(tenant, first).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    TestDatabase.drop(url);
  }

  @Test
  @DisplayName("a change behind its back is not seen from the cache; a refresh sees it")
  void servesFromCacheUntilRefreshed(VertxTestContext test) {
    directory.require("contoso")
        .compose(t -> {
          TestDatabase.execute(url, "UPDATE tenants SET display_name = 'Contoso Ltd' WHERE id = 'contoso'");
          return directory.require("contoso");
        })
        .compose(cached -> {
          test.verify(() -> assertThat(cached.tenant().displayName()).isEqualTo("Contoso"));
          return directory.refresh("contoso");
        })
        .onComplete(test.succeeding(fresh -> test.verify(() -> {
          assertThat(fresh.orElseThrow().tenant().displayName()).isEqualTo("Contoso Ltd");
          test.completeNow();
        })));
  }

  @Test
  @DisplayName("a cancellation made elsewhere is learnt by the sweep: the tenant is then refused, 403 subscription-cancelled")
  void sweepLearnsOfCancellation(VertxTestContext test) {
    directory.requireActive("contoso")
        .compose(t -> {
          TestDatabase.execute(url, "UPDATE tenants SET state = 'cancelled' WHERE id = 'contoso'");
          return directory.sweep();
        })
        .compose(reloaded -> {
          test.verify(() -> assertThat(reloaded).isEqualTo(1));
          return directory.requireActive("contoso");
        })
        .onComplete(test.failing(err -> test.verify(() -> {
          assertThat(err).isInstanceOf(ProblemException.class);
          assertThat(((ProblemException) err).problem().slug()).isEqualTo("subscription-cancelled");
          test.completeNow();
        })));
  }

  @Test
  @DisplayName("a key version destroyed elsewhere: the refresh drops it from the HSM through the retired-key hook")
  void destroyedVersionIsRetired(VertxTestContext test) {
    directory.require("contoso")
        .compose(t -> {
          TestDatabase.execute(url, "UPDATE key_versions SET state = 'destroyed', key_token = NULL WHERE tenant_id = 'contoso'");
          return directory.refresh("contoso");
        })
        .onComplete(test.succeeding(t -> test.verify(() -> {
          assertThat(retired).containsExactly("contoso:1");
          test.completeNow();
        })));
  }

  @Test
  @DisplayName("an id that is no tenant id is answered without asking the database")
  void invalidIdsAreNobody(VertxTestContext test) {
    directory.get("../etc").onComplete(test.succeeding(t -> test.verify(() -> {
      assertThat(t).isEmpty();
      test.completeNow();
    })));
  }
}
