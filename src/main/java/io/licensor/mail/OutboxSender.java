package io.licensor.mail;

import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.licensor.config.LicensorConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Delivers the e-mail outbox: a verticle on every node, which it claims due messages ({@code FOR UPDATE SKIP
 * LOCKED}, held 60 s, so a node that dies mid-send leaves them to another), sends them over SMTP
 * (vertx-mail-client), and marks them sent; a failed send is retried with exponential backoff (up
 * to {@code mail.maxBackoffSeconds}) for as long as it takes — nothing is dropped. With
 * {@code mail.mode=log} (the embedded default) messages are logged instead of sent and marked
 * {@code logged}.
 */
public final class OutboxSender extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxSender.class);
  private static final int BATCH = 50;

  private final Pool pool;
  private final AuditLog audit;
  private final LicensorConfig config;
  private MailClient client;
  private final AtomicBoolean busy = new AtomicBoolean();
  private long timer = -1;
  private volatile boolean stopped;
  private long lastErrorLog;

  public OutboxSender(Pool pool, AuditLog audit, LicensorConfig config) {
    this.pool = pool;
    this.audit = audit;
    this.config = config;
  }

  static MailConfig mailConfig(LicensorConfig config) {
    MailConfig mail = new MailConfig()
        .setHostname(config.mailHost())
        .setPort(config.mailPort())
        .setStarttls(switch (config.mailStartTls()) {
          case "disabled" -> StartTLSOptions.DISABLED;
          case "required" -> StartTLSOptions.REQUIRED;
          default -> StartTLSOptions.OPTIONAL;
        })
        .setKeepAlive(false)
        .setConnectTimeout(5_000);
    if (config.mailUsername() != null) {
      mail.setLogin(LoginOption.REQUIRED).setUsername(config.mailUsername()).setPassword(config.mailPassword());
    } else {
      mail.setLogin(LoginOption.DISABLED);
    }
    return mail;
  }

  @Override
  public Future<?> start() {
    client = "smtp".equals(config.mailMode()) ? MailClient.create(vertx, mailConfig(config)) : null;
    LOG.info("mail: {}", Outbox.describe(config));
    timer = vertx.setPeriodic(config.mailPollMillis(), t -> poll());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return client == null ? Future.succeededFuture() : client.close();
  }

  /** Looks for due messages now (from any thread: runs on this verticle's context). */
  public void nudge() {
    if (context != null) {
      context.runOnContext(v -> poll());
    }
  }

  private record Message(long id, String incidentId, String tenantId, String recipient, String subject, String body,
                         int attempts) {
  }

  private void poll() {
    if (stopped || !busy.compareAndSet(false, true)) {
      return;
    }
    pool.preparedQuery(OutboxSql.CLAIM)
        .execute(Tuple.of((long) BATCH))
        .compose(rows -> {
          List<Message> due = new ArrayList<>();
          for (Row r : rows) {
            due.add(new Message(r.getLong("id"), r.getString("incident_id"), r.getString("tenant_id"), r.getString("recipient"),
                r.getString("subject"), r.getString("body"), r.getInteger("attempts")));
          }
          // Sent side by side (the mail client pools its connections); each outcome is recorded on its own.
          return Future.join(due.stream().map(this::deliver).toList()).transform(x -> Future.succeededFuture(due.size()));
        })
        .onComplete(ar -> {
          busy.set(false);
          if (ar.failed() && !stopped) {
            LOG.warn("outbox: polling failed: {}", ar.cause().toString());
          } else if (ar.succeeded() && ar.result() == BATCH) {
            nudge();
          }
        });
  }

  private Future<Void> deliver(Message m) {
    if (client == null) {
      LOG.info("e-mail not sent (mail.mode=log) to the administrator of tenant {} <{}>: {}", m.tenantId(), m.recipient(),
          m.subject());
      return mark(m, "logged");
    }
    MailMessage mail = new MailMessage().setFrom(config.mailFrom()).setTo(m.recipient()).setSubject(m.subject())
        .setText(m.body());
    return client.sendMail(mail)
        .compose(r -> {
          if (m.attempts() > 1) {
            LOG.info("outbox: e-mail {} for tenant {} delivered at attempt {}", m.id(), m.tenantId(), m.attempts());
          }
          return mark(m, "sent");
        })
        .recover(err -> {
          int backoff = (int) Math.min(config.mailMaxBackoffSeconds(), Math.pow(2, Math.min(20, m.attempts() - 1)));
          String reason = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
          long now = System.currentTimeMillis();
          if (now - lastErrorLog > 5_000) {
            lastErrorLog = now;
            LOG.warn("outbox: e-mail {} for tenant {} not delivered (attempt {}), retry in {} s: {}", m.id(), m.tenantId(),
                m.attempts(), backoff, reason);
          }
          return pool.preparedQuery(OutboxSql.RETRY_LATER)
              .execute(Tuple.of(m.id(), (double) backoff, reason.length() > 500 ? reason.substring(0, 500) : reason))
              .mapEmpty();
        });
  }

  private Future<Void> mark(Message m, String state) {
    return pool.preparedQuery(OutboxSql.MARK_DONE)
        .execute(Tuple.of(m.id(), state))
        .map(r -> {
          // Queued like key-use records: written in the next batch, not waited for here.
          audit.record(AuditEvent.now(m.tenantId(), null, "licensor", "incident.notified", state, audit.node(),
              m.incidentId(), new JsonObject().put("incident", m.incidentId()).put("outbox", m.id()).encode()))
              .onFailure(err -> LOG.warn("outbox: audit record of e-mail {} failed: {}", m.id(), err.toString()));
          return null;
        });
  }
}
