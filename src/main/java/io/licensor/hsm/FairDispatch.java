package io.licensor.hsm;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shares the HSM sessions fairly between tenants. Each tenant has a lane (a FIFO of its waiting
 * operations); at most {@code window} operations are at the sessions at once, and when one
 * finishes the next is taken from the lanes in round-robin order. A tenant with a thousand
 * operations waiting therefore delays another tenant's operation by at most one of its own per
 * round, not by the thousand, and a lane holds at most {@code laneCapacity} operations, so no
 * tenant can fill the node's whole HSM queue.
 *
 * <p>Called from any event loop, and from the sessions (a session that finishes an operation
 * starts the next); the critical sections only move references, and the operations themselves are
 * started outside the lock.
 */
final class FairDispatch {

  /** An operation waiting for its turn: {@link #start()} sends it to a session. */
  interface Waiting {
    void start();

    /** Called instead of {@link #start()} if it waited longer than its deadline. */
    void expire();

    long deadlineNanos();
  }

  private final int window;
  private final int laneCapacity;
  private final Map<String, ArrayDeque<Waiting>> lanes = new LinkedHashMap<>();
  private int atSessions;
  private int waiting;

  FairDispatch(int window, int laneCapacity) {
    if (window < 1 || laneCapacity < 1) {
      throw new IllegalArgumentException("window and lane capacity must be positive");
    }
    this.window = window;
    this.laneCapacity = laneCapacity;
  }

  /**
   * Starts the operation now if a session slot is free, else queues it in its tenant's lane.
   * Returns false, and does nothing, if that lane is full.
   */
  boolean offer(String lane, Waiting operation) {
    synchronized (this) {
      if (atSessions >= window) {
        ArrayDeque<Waiting> queue = lanes.computeIfAbsent(lane, l -> new ArrayDeque<>());
        if (queue.size() >= laneCapacity) {
          return false;
        }
        queue.addLast(operation);
        waiting++;
        return true;
      }
      atSessions++;
    }
    operation.start();
    return true;
  }

  /** An operation left the sessions: starts the next one in round-robin order, if any waits. */
  void finished() {
    while (true) {
      Waiting next;
      synchronized (this) {
        next = takeNext();
        if (next == null) {
          atSessions--;
          return;
        }
      }
      if (next.deadlineNanos() - System.nanoTime() > 0) {
        next.start();
        return;
      }
      next.expire();
    }
  }

  /** Operations waiting in lanes (not yet at a session). */
  synchronized int waiting() {
    return waiting;
  }

  private Waiting takeNext() {
    Iterator<Map.Entry<String, ArrayDeque<Waiting>>> it = lanes.entrySet().iterator();
    if (!it.hasNext()) {
      return null;
    }
    Map.Entry<String, ArrayDeque<Waiting>> first = it.next();
    ArrayDeque<Waiting> queue = first.getValue();
    Waiting next = queue.pollFirst();
    it.remove();
    if (!queue.isEmpty()) {
      lanes.put(first.getKey(), queue);
    }
    waiting--;
    return next;
  }
}
