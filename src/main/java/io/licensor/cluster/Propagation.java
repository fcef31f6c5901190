package io.licensor.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * How far a lifecycle change reached when the call returned: the members that confirmed they hold
 * the change (or dropped the tenant, to reload it before they use it again), and those that did
 * not answer in time. An unconfirmed member applies the change at its next sweep, within
 * {@code boundSeconds} (the refresh period), or has left the cluster.
 */
public record Propagation(long revision, List<String> confirmed, List<Unconfirmed> unconfirmed, long boundSeconds,
                          long elapsedMillis) {

  /** The response header that says whether every member confirmed: {@code complete} or {@code incomplete}. */
  public static final String HEADER = "Licensor-Propagation";

  public record Unconfirmed(String member, String reason) {
  }

  public boolean complete() {
    return unconfirmed.isEmpty();
  }

  public String headerValue() {
    return complete() ? "complete" : "incomplete";
  }

  public JsonObject toJson() {
    JsonArray missing = new JsonArray();
    unconfirmed.forEach(u -> missing.add(new JsonObject().put("member", u.member()).put("reason", u.reason())));
    return new JsonObject()
        .put("complete", complete())
        .put("members", confirmed.size() + unconfirmed.size())
        .put("confirmed", new JsonArray(List.copyOf(confirmed)))
        .put("unconfirmed", missing)
        .put("revision", revision)
        .put("boundSeconds", boundSeconds)
        .put("elapsedMillis", elapsedMillis);
  }
}
