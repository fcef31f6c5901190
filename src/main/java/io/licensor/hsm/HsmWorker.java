package io.licensor.hsm;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HSM session: a worker verticle that takes operations from the local event bus and runs
 * them one at a time on its worker thread. Deploy one instance per session; the event bus spreads
 * requests across them. Replies carry either the result or the failure as an object, so the
 * caller gets typed errors without any text parsing; an operation from a tenant's lane takes its
 * answer from this thread instead ({@link HsmOperation.Reporting}), and hands its slot on from here.
 */
public final class HsmWorker extends VerticleBase {

  static final String ADDRESS = "licensor.hsm.operations";
  /** Key generation: its own session and thread, so licensing never queues behind a slow RSA key generation. */
  static final String KEY_GENERATION_ADDRESS = "licensor.hsm.key-generation";
  private static final Logger LOG = LoggerFactory.getLogger(HsmWorker.class);

  private static final DeliveryOptions REPLY =
      new DeliveryOptions().setLocalOnly(true).setCodecName(LocalObjectCodec.NAME);

  private final Hsm hsm;
  private final HsmStats stats;
  private final String address;
  private MessageConsumer<HsmOperation> consumer;

  /** A session for licensing and the other short operations. */
  public HsmWorker(Hsm hsm, HsmStats stats) {
    this(hsm, stats, false);
  }

  /** With {@code keyGeneration}, the session that generates keys (tenant keys, KEKs). */
  public HsmWorker(Hsm hsm, HsmStats stats, boolean keyGeneration) {
    this.hsm = hsm;
    this.stats = stats;
    this.address = keyGeneration ? KEY_GENERATION_ADDRESS : ADDRESS;
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().localConsumer(address, this::handle);
    return consumer.completion();
  }

  private void handle(Message<HsmOperation> message) {
    stats.ranOn(Thread.currentThread().getName());
    Object reply;
    try {
      reply = message.body().run(hsm);
    } catch (HsmException e) {
      if (e.reason() == HsmException.Reason.INTERNAL) {
        LOG.error("HSM operation failed: {}", e.getMessage(), e.getCause());
      }
      reply = e;
    } catch (RuntimeException e) {
      LOG.error("HSM operation failed unexpectedly", e);
      reply = new HsmException(HsmException.Reason.INTERNAL, "HSM operation failed");
    }
    Object answer = reply == null ? HsmClient.DONE : reply;
    if (message.body() instanceof HsmOperation.Reporting reporting) {
      reporting.done(answer);
    } else {
      message.reply(answer, REPLY);
    }
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }
}
