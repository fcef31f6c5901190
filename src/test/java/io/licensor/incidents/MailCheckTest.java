package io.licensor.incidents;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.licensor.cli.Cli;
import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 22, item 2: mail an operator can check before an incident, against a real SMTP server
 * (GreenMail) on loopback: the start-up line, mail in readiness details, {@code licensor mail test},
 * {@code incident declare --wait} that says how many notices are undelivered, and the log line when
 * a retried notice is finally delivered.
 */
@DisplayName("Mail an operator can check: start-up line, readiness, mail test, --wait, delivery after retries")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MailCheckTest {

  static int smtpPort;
  static GreenMail smtp;
  static TestNode node;
  static final ListAppender<ILoggingEvent> log = new ListAppender<>();

  @BeforeAll
  static void start() {
    log.start();
    ((Logger) LoggerFactory.getLogger("io.licensor.mail")).addAppender(log);
    smtpPort = ClusterFixture.freePorts(1)[0];
    smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
    node = TestNode.start(new JsonObject()
        .put("mail", new JsonObject().put("mode", "smtp").put("host", "127.0.0.1").put("port", smtpPort)
            .put("starttls", "disabled").put("from", "security@licensor.test").put("pollMillis", 100)
            .put("maxBackoffSeconds", 1)));
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger("io.licensor.mail")).detachAppender(log);
    if (node != null) {
      node.close();
    }
    if (smtp != null) {
      smtp.stop();
    }
  }

  static Cli cli() {
    return new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port()).with("LICENSOR_TOKEN", node.operatorToken());
  }

  static List<String> logLines() {
    return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  static JsonObject mailReadiness() {
    Http.Response ready = node.http.get("/health/ready", node.operatorToken());
    return ready.json().getJsonObject("checks").getJsonObject("mail");
  }

  @Test
  @Order(1)
  @DisplayName("the start-up line names mode, server and TLS; a test message arrives; readiness shows an empty outbox")
  void mailCanBeChecked() throws Exception {
    assertThat(logLines()).anyMatch(l -> l.equals("mail: smtp to 127.0.0.1:" + smtpPort
        + ", STARTTLS disabled, no login, from security@licensor.test"));

    Cli.Result sent = cli().run("mail", "test", "--to", "ops@licensor.test");
    assertThat(sent.exitCode()).as(sent.toString()).isZero();
    assertThat(sent.out()).contains("accepted by 127.0.0.1:" + smtpPort);
    List<MimeMessage> received = Arrays.stream(smtp.getReceivedMessages())
        .filter(m -> {
          try {
            return m.getSubject().equals("licensor: test message");
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }).toList();
    assertThat(received).hasSize(1);
    assertThat(received.get(0).getAllRecipients()[0].toString()).isEqualTo("ops@licensor.test");

    JsonObject mail = mailReadiness();
    assertThat(mail.getString("mode")).isEqualTo("smtp");
    assertThat(mail.getString("host")).isEqualTo("127.0.0.1");
    assertThat(mail.getLong("backlog")).isZero();
    assertThat(mail.getString("status")).isEqualTo("UP");

    Cli.Result bad = cli().run("mail", "test", "--to", "not an address");
    assertThat(bad.exitCode()).as("input the server refused as bad").isEqualTo(2);
    assertThat(bad.err()).contains("one e-mail address");
    Http.Response asNobody = node.http.post("/v1/mail/test", null, new JsonObject().put("to", "ops@licensor.test"));
    assertThat(asNobody.status()).isEqualTo(401);
  }

  @Test
  @Order(2)
  @DisplayName("SMTP down: mail test fails naming the server; declare --wait exits 1 counting undelivered notices; delivered later, logged")
  void mailDown() throws Exception {
    node.createTenant("mailless", "EC-P256");
    smtp.stop();
    try {
      Cli.Result test = cli().run("mail", "test", "--to", "ops@licensor.test");
      assertThat(test.exitCode()).as(test.toString()).isEqualTo(1);
      assertThat(test.err()).contains("mail-failed").contains("not accepted by 127.0.0.1:" + smtpPort);

      Cli.Result declared = cli().run("incident", "declare", "--type", "unauthorized-use", "--tenant", "mailless",
          "--summary", "declared while the mail server is down", "--wait", "--notice-wait", "3");
      assertThat(declared.exitCode()).as(declared.toString()).isEqualTo(1);
      assertThat(declared.err()).contains("1 of 1 notice(s)").contains("not delivered yet").contains("mail test");

      JsonObject mail = mailReadiness();
      assertThat(mail.getLong("backlog")).isEqualTo(1);
      assertThat(mail.getLong("oldestPendingSeconds")).isNotNull();
      assertThat(mail.getString("lastError")).isNotBlank();
    } finally {
      smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
      smtp.start();
    }
    long deadline = System.currentTimeMillis() + 30_000;
    while (mailReadiness().getLong("backlog") > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(200);
    }
    assertThat(mailReadiness().getLong("backlog")).isZero();
    assertThat(logLines()).anyMatch(l -> l.matches("outbox: e-mail \\d+ for tenant mailless delivered at attempt \\d+"));
  }

  @Test
  @Order(3)
  @DisplayName("in log mode (the embedded default) mail test says nothing is sent, and exits 1")
  void logMode() {
    try (TestNode logging = TestNode.start()) {
      Cli.Result r = new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + logging.node.port())
          .with("LICENSOR_TOKEN", logging.operatorToken()).run("mail", "test", "--to", "ops@licensor.test");
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
      assertThat(r.err()).contains("mail.mode is log");
      assertThat(logging.http.get("/health/ready", logging.operatorToken()).json().getJsonObject("checks")
          .getJsonObject("mail").getString("mode")).isEqualTo("log");
    }
  }
}
