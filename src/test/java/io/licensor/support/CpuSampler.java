package io.licensor.support;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Samples the CPU time of the event-loop threads every 20 ms (the last 5 s kept), so a blocked-
 * thread warning can be judged by how much CPU its thread actually got while it was reported
 * blocked ({@link BlockedThreadWatch}).
 */
final class CpuSampler {

  private static final long PERIOD_MILLIS = 20;
  private static final long KEEP_NANOS = 5_000_000_000L;
  private static final Map<Long, ArrayDeque<long[]>> SAMPLES = new ConcurrentHashMap<>();
  private static volatile boolean started;

  private CpuSampler() {
  }

  static synchronized void start() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (started || !threads.isThreadCpuTimeSupported()) {
      return;
    }
    threads.setThreadCpuTimeEnabled(true);
    Thread sampler = new Thread(() -> {
      while (true) {
        long now = System.nanoTime();
        for (ThreadInfo info : threads.dumpAllThreads(false, false, 0)) {
          if (info.getThreadName().contains("eventloop")) {
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (cpu >= 0) {
              ArrayDeque<long[]> q = SAMPLES.computeIfAbsent(info.getThreadId(), id -> new ArrayDeque<>());
              synchronized (q) {
                q.addLast(new long[] {now, cpu});
                while (!q.isEmpty() && now - q.peekFirst()[0] > KEEP_NANOS) {
                  q.removeFirst();
                }
              }
            }
          }
        }
        try {
          Thread.sleep(PERIOD_MILLIS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "test-cpu-sampler");
    sampler.setDaemon(true);
    sampler.start();
    started = true;
  }

  /**
   * The share of the last {@code millis} the thread spent on a CPU (0 to 1), or -1 when there
   * are no samples that far back.
   */
  static double cpuShare(long threadId, long millis) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    ArrayDeque<long[]> q = SAMPLES.get(threadId);
    long now = System.nanoTime();
    long cpuNow = threads.getThreadCpuTime(threadId);
    if (q == null || cpuNow < 0) {
      return -1;
    }
    long since = now - millis * 1_000_000L;
    long[] from = null;
    synchronized (q) {
      for (Iterator<long[]> it = q.iterator(); it.hasNext(); ) {
        long[] sample = it.next();
        if (sample[0] <= since) {
          from = sample; // the latest sample at or before the start of the interval
        } else {
          break;
        }
      }
    }
    if (from == null) {
      return -1;
    }
    return (double) (cpuNow - from[1]) / (now - from[0]);
  }
}
