package io.licensor.node;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

import java.io.IOException;
import java.nio.channels.DatagramChannel;

/**
 * One-time JVM initialisation that Vert.x and Netty would otherwise do on an event loop the first
 * time they need it, each found as a blocked event loop (100 ms and more on a loaded 2-core
 * machine): the datagram channel classes Netty's DNS resolver opens on a client's first connect,
 * and the allocator's JFR event registration on the first pooled buffer. Run once, on a worker
 * thread, at start-up.
 */
final class RuntimeWarmup {

  private static volatile boolean done;

  private RuntimeWarmup() {
  }

  static void run() {
    if (done) {
      return;
    }
    try (DatagramChannel channel = DatagramChannel.open()) {
      channel.socket().getLocalPort();
    } catch (IOException | UnsupportedOperationException e) {
      // no datagram support: Vert.x will fail or fall back on its own; nothing to warm
    }
    for (ByteBufAllocator allocator : new ByteBufAllocator[] {
        new AdaptiveByteBufAllocator(), PooledByteBufAllocator.DEFAULT, ByteBufAllocator.DEFAULT}) {
      ByteBuf buffer = allocator.ioBuffer(4096);
      buffer.release();
    }
    done = true;
  }
}
