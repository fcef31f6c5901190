package io.licensor.hsm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Loaded keys by kid, at most {@code capacity} of them, the least recently used dropped first. A
 * hit only stamps its entry with a number (no lock, and no reference written into the map): an
 * access-ordered LinkedHashMap relinked an entry on every hit, so traffic over thousands of
 * tenants dirtied old objects all over the heap, which each young collection then scanned
 * (issue 20). Past the capacity the least recently used tenth goes at once, so the sort is paid
 * once per capacity / 10 misses.
 */
final class KeyCache<V> {

  private static final class Entry<V> {
    final V value;
    volatile long used;

    Entry(V value, long used) {
      this.value = value;
      this.used = used;
    }
  }

  private final int capacity;
  private final Map<String, Entry<V>> entries = new ConcurrentHashMap<>();
  private final AtomicLong clock = new AtomicLong();

  KeyCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity " + capacity);
    }
    this.capacity = capacity;
  }

  V get(String kid) {
    Entry<V> e = entries.get(kid);
    if (e == null) {
      return null;
    }
    e.used = clock.get();
    return e.value;
  }

  void put(String kid, V value) {
    entries.put(kid, new Entry<>(value, clock.incrementAndGet()));
    if (entries.size() > capacity) {
      evict();
    }
  }

  void remove(String kid) {
    entries.remove(kid);
  }

  void clear() {
    entries.clear();
  }

  int size() {
    return entries.size();
  }

  private synchronized void evict() {
    int excess = entries.size() - capacity;
    if (excess <= 0) {
      return;
    }
    List<Map.Entry<String, Entry<V>>> all = new ArrayList<>(entries.entrySet());
    all.sort((a, b) -> Long.compare(a.getValue().used, b.getValue().used));
    int drop = Math.min(all.size(), Math.max(excess, capacity / 10));
    for (int i = 0; i < drop; i++) {
      entries.remove(all.get(i).getKey(), all.get(i).getValue());
    }
  }
}
