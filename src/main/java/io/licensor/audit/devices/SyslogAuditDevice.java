package io.licensor.audit.devices;

import io.licensor.audit.AuditRecord;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemTrustOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The audit stream to a syslog collector (a SIEM's) over TCP, RFC 5424 messages framed by octet
 * counting ({@link Rfc5424}), over TLS (RFC 5425) when {@code audit.syslog.tls} is set. Non-blocking
 * (a Vert.x client on the audit writer's event loop): records wait in a bounded queue while the
 * collector cannot be reached, and go once it can again (reconnecting every second, then every
 * few). A record beyond the queue, or one written into a connection that then broke, is not
 * copied: the collector sees the gap in its chain's {@code seq}, and the database holds it.
 */
public final class SyslogAuditDevice implements AuditDevice {

  private static final Logger LOG = LoggerFactory.getLogger(SyslogAuditDevice.class);
  private static final long MAX_BACKOFF_MILLIS = 10_000;

  private final Vertx vertx;
  private final Context context;
  private final NetClient client;
  private final String host;
  private final int port;
  private final Rfc5424 format;
  private final int capacity;
  private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
  private final LongAdder dropped = new LongAdder();
  private NetSocket socket;
  private boolean connecting;
  private boolean closed;
  private long backoffMillis = 1000;
  private long lastWarning;

  /**
   * @param tls        RFC 5425: the collector's certificate is checked against the system's CAs, or
   *                   against {@code caFile} (PEM) when given, and its name against {@code host}
   * @param capacity   messages kept while the collector cannot be reached
   */
  public SyslogAuditDevice(Vertx vertx, String host, int port, boolean tls, String caFile, Rfc5424 format, int capacity) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    NetClientOptions options = new NetClientOptions().setConnectTimeout(5_000).setTcpKeepAlive(true).setTcpNoDelay(true);
    if (tls) {
      options.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
      if (caFile != null) {
        options.setTrustOptions(new PemTrustOptions().addCertPath(caFile));
      }
    }
    this.client = vertx.createNetClient(options);
    this.host = host;
    this.port = port;
    this.format = format;
    this.capacity = capacity;
  }

  @Override
  public String name() {
    return "syslog";
  }

  @Override
  public void written(List<AuditRecord> records) {
    List<Buffer> frames = records.stream().map(format::frame).toList();
    context.runOnContext(v -> {
      for (Buffer frame : frames) {
        if (queue.size() >= capacity) {
          lost(1, capacity + " messages wait for " + host + ":" + port);
        } else {
          queue.add(frame);
        }
      }
      pump();
    });
  }

  private void pump() {
    if (closed && socket == null) {
      return;
    }
    if (socket == null) {
      connect();
      return;
    }
    while (!queue.isEmpty() && !socket.writeQueueFull()) {
      socket.write(queue.poll());
    }
    if (!queue.isEmpty()) {
      socket.drainHandler(v -> pump());
    }
  }

  private void connect() {
    if (connecting || closed) {
      return;
    }
    connecting = true;
    client.connect(port, host).onComplete(ar -> {
      connecting = false;
      if (ar.failed()) {
        warn("cannot reach " + host + ":" + port + " (" + ar.cause().getMessage() + "); " + queue.size()
            + " message(s) wait, retrying in " + backoffMillis + " ms");
        long wait = backoffMillis;
        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        vertx.setTimer(wait, t -> pump());
        return;
      }
      if (backoffMillis > 1000) {
        LOG.info("audit device syslog: {}:{} reached again; {} message(s) follow", host, port, queue.size());
      }
      backoffMillis = 1000;
      NetSocket s = ar.result();
      socket = s;
      s.handler(data -> {
        // a collector says nothing back over plain syslog; whatever it sends is ignored
      });
      s.exceptionHandler(e -> warn("connection to " + host + ":" + port + " failed: " + e.getMessage()));
      s.closeHandler(v -> {
        if (socket == s) {
          socket = null;
          if (!closed) {
            warn("connection to " + host + ":" + port + " closed; reconnecting");
            vertx.setTimer(backoffMillis, t -> pump());
          }
        }
      });
      pump();
    });
  }

  private void lost(int messages, String why) {
    dropped.add(messages);
    warn(messages + " message(s) not copied (" + dropped.sum() + " since the start; the database holds them all): " + why);
  }

  private void warn(String what) {
    long now = System.currentTimeMillis();
    if (now - lastWarning > 10_000) {
      lastWarning = now;
      LOG.warn("audit device syslog: {}", what);
    }
  }

  @Override
  public long dropped() {
    return dropped.sum();
  }

  /** Sends what is queued if connected (at most a few seconds), then closes. */
  @Override
  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      closed = true;
      NetSocket s = socket;
      if (s == null) {
        if (!queue.isEmpty()) {
          lost(queue.size(), "the node stopped while " + host + ":" + port + " could not be reached");
          queue.clear();
        }
        client.close().onComplete(x -> done.tryComplete());
        return;
      }
      while (!queue.isEmpty()) {
        s.write(queue.poll());
      }
      s.end().onComplete(x -> client.close().onComplete(y -> done.tryComplete()));
      vertx.setTimer(5_000, t -> done.tryComplete());
    });
    return done.future();
  }
}
