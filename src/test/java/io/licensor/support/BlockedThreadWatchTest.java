package io.licensor.support;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The blocked-thread check that every node test asserts on still catches real blocking on an
 * event loop (a sleep, a lock held elsewhere), however loaded the machine is: only a runnable
 * thread that got little CPU is put down to starvation.
 */
@DisplayName("The blocked-thread watch counts real blocking on an event loop")
class BlockedThreadWatchTest {

  private static List<String> warningsWhile(Runnable onEventLoop) throws Exception {
    BlockedThreadWatch.install();
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setBlockedThreadCheckInterval(20).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
        .setMaxEventLoopExecuteTime(100).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setWarningExceptionTime(100).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS));
    try {
      int mark = BlockedThreadWatch.mark();
      CountDownLatch ran = new CountDownLatch(1);
      vertx.runOnContext(v -> {
        onEventLoop.run();
        ran.countDown();
      });
      assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
      return BlockedThreadWatch.eventLoopWarningsSince(mark);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a sleep of 600 ms on the event loop is counted")
  void sleepIsCounted() throws Exception {
    assertThat(warningsWhile(() -> {
      try {
        Thread.sleep(600);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    })).isNotEmpty().allMatch(w -> w.contains("Thread.sleep"));
  }

  @Test
  @DisplayName("waiting 600 ms for a lock another thread holds is counted")
  void lockWaitIsCounted() throws Exception {
    ReentrantLock lock = new ReentrantLock();
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch waiting = new CountDownLatch(1);
    Thread holder = new Thread(() -> {
      lock.lock();
      held.countDown();
      try {
        waiting.await(); // the event loop is about to ask for the lock
        Thread.sleep(600);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        lock.unlock();
      }
    });
    holder.start();
    held.await();
    assertThat(warningsWhile(() -> {
      waiting.countDown();
      lock.lock();
      lock.unlock();
    })).isNotEmpty();
    holder.join();
  }
}
