package io.licensor.mail;

import io.licensor.config.LicensorConfig;
import io.licensor.errors.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailMessage;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.OffsetDateTime;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The e-mail set-up as an operator checks it: how mail leaves this node (mode, server, STARTTLS,
 * login), the outbox's backlog and the age of its oldest undelivered message (readiness details),
 * and a test message sent at once through the same settings the outbox uses, so a wrong host, port,
 * TLS or login shows before an incident rather than as its {@code lastError}.
 */
public final class Outbox {

  private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
  private static final Pattern ADDRESS = Pattern.compile("^[^@\\s<>,;\"]{1,64}@[^@\\s<>,;\"]{1,253}\\.[^@\\s<>,;\".]{1,63}$");
  /** A backlog whose oldest message waits longer than this is reported DEGRADED. */
  private static final long LATE_SECONDS = 300;

  private final Vertx vertx;
  private final Pool pool;
  private final LicensorConfig config;

  public Outbox(Vertx vertx, Pool pool, LicensorConfig config) {
    this.vertx = vertx;
    this.pool = pool;
    this.config = config;
  }

  /** How mail leaves this node, in words, for the start-up line (no password). */
  public static String describe(LicensorConfig config) {
    if (!"smtp".equals(config.mailMode())) {
      return "mail.mode=log: e-mails to tenant admins are written to this log, not sent (set mail.mode=smtp and mail.host)";
    }
    return "smtp to " + config.mailHost() + ":" + config.mailPort() + ", STARTTLS " + config.mailStartTls()
        + (config.mailUsername() == null ? ", no login" : ", login as " + config.mailUsername())
        + ", from " + config.mailFrom();
  }

  /** The readiness detail: never gating (a node licenses without mail); DEGRADED when mail is late. */
  public Future<JsonObject> status() {
    JsonObject check = new JsonObject().put("mode", config.mailMode());
    if ("smtp".equals(config.mailMode())) {
      check.put("host", config.mailHost()).put("port", config.mailPort()).put("starttls", config.mailStartTls());
    }
    return pool.preparedQuery(OutboxSql.BACKLOG).execute().timeout(2, TimeUnit.SECONDS).map(rows -> {
      Row r = rows.iterator().next();
      long pending = r.getLong("pending");
      OffsetDateTime oldest = r.getOffsetDateTime("oldest");
      long age = oldest == null ? 0 : Math.max(0, Duration.between(oldest, OffsetDateTime.now()).toSeconds());
      check.put("backlog", pending).put("oldestPendingSeconds", oldest == null ? null : age);
      if (r.getString("last_error") != null) {
        check.put("lastError", r.getString("last_error"));
      }
      return check.put("status", pending > 0 && age > LATE_SECONDS ? "DEGRADED" : "UP");
    }).otherwise(err -> check.put("status", "UNKNOWN").put("detail", "the outbox could not be read"));
  }

  /**
   * Sends a test message to {@code to} now, through the outbox's own settings, and says how it went:
   * {@code {sent: true, ...}}, or in log mode {@code {sent: false, mode: log}}; an SMTP failure is
   * 502 mail-failed with the server's or the connection's reason. Nothing is queued.
   */
  public Future<JsonObject> sendTest(String to, String by) {
    if (to == null || to.length() > 320 || !ADDRESS.matcher(to).matches()) {
      return Future.failedFuture(Problem.INVALID_REQUEST.with("to must be one e-mail address"));
    }
    JsonObject answer = new JsonObject().put("to", to).put("mode", config.mailMode());
    if (!"smtp".equals(config.mailMode())) {
      LOG.info("mail test to <{}> by {}: not sent (mail.mode=log)", to, by);
      return Future.succeededFuture(answer.put("sent", false)
          .put("detail", "mail.mode is log: e-mails are written to the node's log, not sent; set mail.mode=smtp"));
    }
    answer.put("host", config.mailHost()).put("port", config.mailPort()).put("starttls", config.mailStartTls());
    MailClient client = MailClient.create(vertx, OutboxSender.mailConfig(config));
    long began = System.nanoTime();
    MailMessage message = new MailMessage().setFrom(config.mailFrom()).setTo(to)
        .setSubject("licensor: test message")
        .setText("This is a test message from licensor node " + config.nodeId() + ", sent by " + by + ".\n\n"
            + "If you can read it, the mail settings this node uses for incident notices to tenant administrators "
            + "work: " + describe(config) + ".\n");
    return client.sendMail(message)
        .transform(ar -> client.close().transform(x -> ar.succeeded() ? Future.succeededFuture(ar.result())
            : Future.failedFuture(ar.cause())))
        .map(r -> {
          long ms = (System.nanoTime() - began) / 1_000_000;
          LOG.info("mail test to <{}> by {}: accepted by {}:{} in {} ms", to, by, config.mailHost(), config.mailPort(), ms);
          return answer.put("sent", true).put("millis", ms);
        })
        .recover(err -> {
          String reason = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
          reason = reason.replaceAll("\\p{Cntrl}", " ");
          LOG.warn("mail test to <{}> by {}: not delivered: {}", to, by, reason);
          return Future.failedFuture(Problem.MAIL_FAILED.with("the test message was not accepted by " + config.mailHost() + ":"
              + config.mailPort() + " (STARTTLS " + config.mailStartTls() + "): "
              + (reason.length() > 300 ? reason.substring(0, 300) + "..." : reason)));
        });
  }
}
