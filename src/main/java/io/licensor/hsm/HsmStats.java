package io.licensor.hsm;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts HSM operations per thread: shows operators (and tests) where HSM work ran. */
public final class HsmStats {

  private final Map<String, LongAdder> byThread = new ConcurrentHashMap<>();

  void ranOn(String threadName) {
    byThread.computeIfAbsent(threadName, t -> new LongAdder()).increment();
  }

  /** Operations so far, by the name of the thread that ran them. */
  public Map<String, Long> operationsByThread() {
    Map<String, Long> out = new TreeMap<>();
    byThread.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  public long total() {
    return byThread.values().stream().mapToLong(LongAdder::sum).sum();
  }
}
