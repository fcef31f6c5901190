package io.licensor.mail;

/** The SQL of the e-mail outbox, in one place. */
final class OutboxSql {

  private OutboxSql() {
  }

  /** Claims due mails for 60 s (another node sends them if this one dies meanwhile). */
  static final String CLAIM =
      "UPDATE outbox o SET next_attempt_at = now() + interval '60 seconds', attempts = o.attempts + 1"
          + " FROM (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= now() ORDER BY id LIMIT $1"
          + "       FOR UPDATE SKIP LOCKED) due WHERE o.id = due.id"
          + " RETURNING o.id, o.incident_id, o.tenant_id, o.recipient, o.subject, o.body, o.attempts";

  static final String RETRY_LATER =
      "UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2), last_error = $3"
          + " WHERE id = $1";

  /** The undelivered backlog: how many, since when, and the last reason a delivery failed. */
  static final String BACKLOG =
      "SELECT count(*) AS pending, min(created_at) AS oldest, max(last_error) AS last_error FROM outbox WHERE state = 'pending'";

  static final String MARK_DONE =
      "UPDATE outbox SET state = $2, sent_at = now(), last_error = NULL WHERE id = $1";
}
