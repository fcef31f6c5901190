package io.licensor.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Collects Vert.x's blocked-thread warnings ("Thread ... has been blocked for ..."). Test nodes
 * run with a low event-loop threshold, so any slow work on an event loop shows up here.
 *
 * <p>A warning counts when the event loop blocked: it waited (a lock, a sleep, a future's get),
 * sat in blocking I/O, or ran on the CPU for most of the time it was reported blocked (heavy work
 * on the event loop). It does not count when the thread was runnable but hardly ran: the machine
 * was starved of CPU (a loaded CI machine), which no code of licensor's causes. To tell them apart
 * a sampler records each event-loop thread's CPU time, and the warning is judged by the thread's
 * state and the CPU it got over the interval it was reported blocked.
 */
public final class BlockedThreadWatch extends AppenderBase<ILoggingEvent> {

  private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();
  private static volatile boolean installed;

  public static synchronized void install() {
    if (installed) {
      return;
    }
    CpuSampler.start();
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
    all.stream().filter(w -> !loadingClasses(w) && w.startsWith(STARVED)).forEach(w ->
        System.out.println("event loop starved of CPU (not counted): " + w));
    return all.stream().filter(w -> !loadingClasses(w) && !w.startsWith(STARVED)).toList();
  }

  /**
   * Whether the blocked thread was caught loading or initialising a class, or linking a call site:
   * the JVM's one-time cost of a code path's first use (the first network connect, the first JFR event), which on a
   * loaded 2-core machine can pass 100 ms on any thread. Blocking code of licensor's own (I/O,
   * locks, waits, heavy computation) shows other frames and is counted.
   */
  static boolean loadingClasses(String warning) {
    return warning.contains("ClassLoader.loadClass") || warning.contains(".<clinit>(")
        || warning.contains("Class.forName0") || warning.contains("ClassLoader.defineClass")
        || warning.contains("Class.getDeclaredMethods0")
        // linking a lambda or an invokedynamic call site on its first call: bytecode spun by the JVM, once
        || warning.contains("MethodHandleNatives.linkCallSite") || warning.contains("InvokerBytecodeGenerator")
        || warning.contains("LambdaMetafactory.metafactory");
  }

  /** The prefix of a warning whose thread was runnable but got little CPU: starvation, not blocking. */
  static final String STARVED = "[starved] ";

  private static final Pattern BLOCKED = Pattern.compile("Thread (\\S+) has been blocked for (\\d+) ms");

  /** Frames of a runnable thread that waits all the same: blocking I/O and name lookups. */
  private static final List<String> BLOCKING_NATIVE = List.of("Dispatcher.read", "Dispatcher.write", "Dispatcher.force",
      "Dispatcher.pread", "Dispatcher.pwrite", "FileInputStream.read", "FileOutputStream.write", "RandomAccessFile.",
      "Net.poll", "Net.connect", "Net.accept", "SocketInputStream", "NioSocketImpl", "lookupAllHostAddr",
      "UnixNativeDispatcher", "FileChannelImpl.", "Process");

  /**
   * Whether the thread named in the warning, reported blocked for {@code blockedMillis}, was
   * runnable but got less than half of that time on a CPU, with no blocking I/O on its stack.
   */
  static boolean starved(String threadName, long blockedMillis, String stack) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (ThreadInfo info : threads.dumpAllThreads(false, false, 8)) {
      if (!info.getThreadName().equals(threadName) || idleEventLoop(info)) {
        // another Vert.x in this JVM (support/Contract's) has an event loop of the same name: an idle
        // one, waiting in epoll, is not the thread the warning is about
        continue;
      }
      if (info.getThreadState() != Thread.State.RUNNABLE) {
        return false; // waiting on a lock, a sleep, a future: blocking
      }
      if (BLOCKING_NATIVE.stream().anyMatch(stack::contains)) {
        return false;
      }
      double share = CpuSampler.cpuShare(info.getThreadId(), blockedMillis);
      return share >= 0 && share < 0.5;
    }
    return false;
  }

  /** An event loop with nothing to do: in its selector's wait. */
  static boolean idleEventLoop(ThreadInfo info) {
    StackTraceElement[] stack = info.getStackTrace();
    return stack.length > 0 && java.util.Arrays.stream(stack).limit(4).anyMatch(f ->
        f.getMethodName().contains("epollWait") || f.getClassName().endsWith("EPoll") && f.getMethodName().equals("wait")
            || f.getMethodName().equals("select") || f.getMethodName().equals("doSelect"));
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
      String text = where.toString();
      Matcher m = BLOCKED.matcher(message);
      WARNINGS.add(m.find() && text.contains("eventloop") && starved(m.group(1), Long.parseLong(m.group(2)), text)
          ? STARVED + text : text);
    }
  }
}
