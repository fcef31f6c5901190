package io.licensor.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
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
    List<String> all = WARNINGS.subList(mark, WARNINGS.size()).stream().filter(w -> w.contains("eventloop")).toList();
    all.stream().filter(BlockedThreadWatch::loadingClasses).forEach(w ->
        System.out.println("event loop slowed by first-use class loading (not counted): " + w));
    return all.stream().filter(w -> !loadingClasses(w)).toList();
  }

  /**
   * Whether the blocked thread was caught loading or initialising a class: the JVM's one-time cost
   * of a code path's first use (the first network connect, the first JFR event), which on a
   * loaded 2-core machine can pass 100 ms on any thread. Blocking code of licensor's own (I/O,
   * locks, waits, heavy computation) shows other frames and is counted.
   */
  static boolean loadingClasses(String warning) {
    return warning.contains("ClassLoader.loadClass") || warning.contains(".<clinit>(")
        || warning.contains("Class.forName0") || warning.contains("ClassLoader.defineClass")
        || warning.contains("Class.getDeclaredMethods0");
  }

  @Override
  protected void append(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    if (message != null && message.contains("has been blocked for")) {
      // the blocked thread's stack (Vert.x attaches it past warningExceptionTime) says what blocked
      StringBuilder where = new StringBuilder(message);
      IThrowableProxy stack = event.getThrowableProxy();
      if (stack != null) {
        StackTraceElementProxy[] frames = stack.getStackTraceElementProxyArray();
        for (int i = 0; i < Math.min(frames.length, 40); i++) {
          where.append("\n    ").append(frames[i].getSTEAsString());
        }
      }
      WARNINGS.add(where.toString());
    }
  }
}
