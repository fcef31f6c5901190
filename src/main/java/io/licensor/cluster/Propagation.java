package io.licensor.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * How far a lifecycle change reached when the call returned: the nodes that confirmed they hold
 * the change (by its notice, or — {@code confirmedByLease} — by renewing their directory lease past
 * it), and the nodes whose lease lapsed instead (they serve nothing until they have renewed it,
 * and so applied the change). {@code unreached}: members the notice did not reach, for the record
 * (each is among those confirmed by lease or lapsed, or holds no lease and serves nothing). A call
 * returns once no node can serve the old state, so {@code complete} holds whenever it returns;
 * {@code boundSeconds} is the longest it waits for that (the lease length).
 */
public record Propagation(long revision, List<String> confirmed, List<String> confirmedByLease, List<String> lapsed,
                          List<Unreached> unreached, long boundSeconds, long elapsedMillis) {

  /** The response header that says whether the change holds on every node: {@code complete} or {@code incomplete}. */
  public static final String HEADER = "Licensor-Propagation";

  public record Unreached(String member, String reason) {
  }

  /** Every node that held a lease confirmed the change or let its lease lapse. */
  public boolean complete() {
    return true;
  }

  public String headerValue() {
    return complete() ? "complete" : "incomplete";
  }

  public JsonObject toJson() {
    JsonArray missed = new JsonArray();
    unreached.forEach(u -> missed.add(new JsonObject().put("member", u.member()).put("reason", u.reason())));
    return new JsonObject()
        .put("complete", complete())
        .put("members", confirmed.size() + lapsed.size())
        .put("confirmed", new JsonArray(List.copyOf(confirmed)))
        .put("confirmedByLease", new JsonArray(List.copyOf(confirmedByLease)))
        .put("lapsed", new JsonArray(List.copyOf(lapsed)))
        .put("unconfirmed", new JsonArray())
        .put("unreached", missed)
        .put("revision", revision)
        .put("boundSeconds", boundSeconds)
        .put("elapsedMillis", elapsedMillis);
  }
}
