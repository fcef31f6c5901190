package io.licensor.lifecycle;

import io.licensor.hsm.HsmClient;
import io.licensor.hsm.KeyRef;
import io.licensor.tenants.TenantStore;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Moves the BYOK key versions of earlier versions into today's custody: their key tokens were
 * wrapped under the world key itself, which also unwraps exportable keys, so a PKCS#11 token
 * would let a holder of its PIN take them out. Each is re-wrapped inside the module under the
 * custody key (the same key, a new token; see {@code hsm.KeyTokenLayout}) and stored in place of
 * the old one, unless the version changed meanwhile. Run at every start, one key at a time;
 * nothing to do once every token is in custody. A backup package made before keeps the old
 * tokens: restored, they are moved again at the next start.
 */
public final class CustodyUpgrade {

  private static final Logger LOG = LoggerFactory.getLogger(CustodyUpgrade.class);

  private CustodyUpgrade() {
  }

  /** How many key versions were moved into custody. */
  public static Future<Integer> run(TenantStore store, HsmClient hsm, String worldId) {
    return store.byokKeyTokens(worldId).compose(all -> {
      List<TenantStore.StoredKeyToken> before = all.stream().filter(t -> t.token().beforeCustody()).toList();
      if (before.isEmpty()) {
        return Future.succeededFuture(0);
      }
      LOG.info("moving {} BYOK key version(s) of an earlier version into custody", before.size());
      return next(store, hsm, before, 0, 0);
    });
  }

  private static Future<Integer> next(TenantStore store, HsmClient hsm, List<TenantStore.StoredKeyToken> todo, int index,
                                      int moved) {
    if (index == todo.size()) {
      LOG.info("{} BYOK key version(s) moved into custody", moved);
      return Future.succeededFuture(moved);
    }
    TenantStore.StoredKeyToken stored = todo.get(index);
    return hsm.custody(new KeyRef(stored.kid(), stored.algorithm(), stored.token()))
        .compose(token -> token.equals(stored.token()) ? Future.succeededFuture(false) : store.replaceKeyToken(stored, token))
        .recover(err -> {
          LOG.warn("BYOK key version {} not moved into custody: {}", stored.kid(), err.getMessage());
          return Future.succeededFuture(false);
        })
        .compose(done -> next(store, hsm, todo, index + 1, moved + (done ? 1 : 0)));
  }
}
