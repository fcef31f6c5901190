package io.licensor.hsm;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The order in which tenants' HSM operations reach the sessions. */
class FairDispatchTest {

  private final List<String> started = new ArrayList<>();
  private final List<String> expired = new ArrayList<>();

  private FairDispatch.Waiting op(String name, long deadline) {
    return new FairDispatch.Waiting() {
      public void start() {
        started.add(name);
      }

      public void expire() {
        expired.add(name);
      }

      public long deadlineNanos() {
        return deadline;
      }
    };
  }

  private FairDispatch.Waiting op(String name) {
    return op(name, System.nanoTime() + 60_000_000_000L);
  }

  @Test
  @DisplayName("a flooding tenant's backlog does not queue ahead of another tenant: lanes are served round-robin")
  void roundRobin() {
    FairDispatch d = new FairDispatch(1, 100);
    for (int i = 1; i <= 6; i++) {
      assertThat(d.offer("flood", op("f" + i))).isTrue();
    }
    assertThat(d.offer("quiet", op("q1"))).isTrue();
    assertThat(d.offer("third", op("t1"))).isTrue();
    assertThat(d.offer("quiet", op("q2"))).isTrue();
    assertThat(started).containsExactly("f1");
    assertThat(d.waiting()).isEqualTo(8);
    for (int i = 0; i < 8; i++) {
      d.finished();
    }
    assertThat(started).containsExactly("f1", "f2", "q1", "t1", "f3", "q2", "f4", "f5", "f6");
    d.finished();
    assertThat(d.waiting()).isZero();
    // a free slot starts an operation at once
    assertThat(d.offer("quiet", op("q3"))).isTrue();
    assertThat(started).endsWith("q3");
  }

  @Test
  @DisplayName("a full lane refuses its tenant only; an operation past its deadline is expired, not started")
  void boundedLanesAndDeadlines() {
    FairDispatch d = new FairDispatch(2, 3);
    assertThat(d.offer("flood", op("f1"))).isTrue();
    assertThat(d.offer("flood", op("f2"))).isTrue();
    for (int i = 3; i <= 5; i++) {
      assertThat(d.offer("flood", op("f" + i))).isTrue();
    }
    assertThat(d.offer("flood", op("f6"))).as("lane full").isFalse();
    assertThat(d.offer("quiet", op("q1", System.nanoTime() - 1))).as("another lane").isTrue();
    assertThat(d.offer("quiet", op("q2"))).isTrue();
    d.finished();
    d.finished();
    // flood, then quiet's expired q1 (skipped: the turn passes on), flood again
    assertThat(started).containsExactly("f1", "f2", "f3", "f4");
    assertThat(expired).containsExactly("q1");
    d.finished();
    assertThat(started).endsWith("q2");
  }
}
