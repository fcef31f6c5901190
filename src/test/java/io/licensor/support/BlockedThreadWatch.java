package io.licensor.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Collects Vert.x's blocked-thread warnings ("Thread ... has been blocked for ..."). Test nodes
 * run with a low event-loop threshold, so any slow work on an event loop shows up here.
 */
public final class BlockedThreadWatch extends AppenderBase<ILoggingEvent> {

  private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();
  private static volatile boolean installed;

  public static synchronized void install() {
    if (installed) {
      return;
    }
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    BlockedThreadWatch appender = new BlockedThreadWatch();
    appender.setContext(ctx);
    appender.start();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
    installed = true;
  }

  /** A position in the warning log; see {@link #eventLoopWarningsSince(int)}. */
  public static int mark() {
    return WARNINGS.size();
  }

  /**
   * Warnings about event-loop threads since a mark (worker threads may legitimately run long).
   * Tests take the mark once a node is up: start-up runs before the node listens.
   */
  public static List<String> eventLoopWarningsSince(int mark) {
    return WARNINGS.subList(mark, WARNINGS.size()).stream().filter(w -> w.contains("eventloop")).toList();
  }

  @Override
  protected void append(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    if (message != null && message.contains("has been blocked for")) {
      WARNINGS.add(message);
    }
  }
}
