package io.licensor.hsm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class KeyCacheTest {

  @Test
  @DisplayName("never holds more keys than its capacity, and the keys in use outlive those not used since")
  void boundedLeastRecentlyUsed() {
    KeyCache<String> cache = new KeyCache<>(100);
    for (int i = 0; i < 100; i++) {
      cache.put("t" + i + ":1", "key" + i);
    }
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < 10; i++) {
        assertThat(cache.get("t" + i + ":1")).isEqualTo("key" + i);
      }
      for (int i = 0; i < 40; i++) {
        cache.put("n" + round + "-" + i + ":1", "new");
        assertThat(cache.size()).isLessThanOrEqualTo(100);
        for (int hot = 0; hot < 10; hot++) {
          cache.get("t" + hot + ":1");
        }
      }
    }
    for (int i = 0; i < 10; i++) {
      assertThat(cache.get("t" + i + ":1")).as("a key used all along").isEqualTo("key" + i);
    }
    int oldLeft = 0;
    for (int i = 10; i < 100; i++) {
      oldLeft += cache.get("t" + i + ":1") == null ? 0 : 1;
    }
    assertThat(oldLeft).as("keys never used after they were loaded, with 200 loaded since").isZero();
  }

  @Test
  @DisplayName("a forgotten key is gone; a key loaded again replaces the one before")
  void forgetAndReplace() {
    KeyCache<String> cache = new KeyCache<>(4);
    cache.put("a:1", "first");
    cache.put("a:1", "second");
    assertThat(cache.get("a:1")).isEqualTo("second");
    assertThat(cache.size()).isEqualTo(1);
    cache.remove("a:1");
    assertThat(cache.get("a:1")).isNull();
  }
}
