package io.licensor.hsm;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/** Passes objects by reference on the local event bus; HSM traffic never leaves the node. */
final class LocalObjectCodec implements MessageCodec<Object, Object> {

  static final String NAME = "licensor-local-object";

  @Override
  public void encodeToWire(Buffer buffer, Object o) {
    throw new UnsupportedOperationException("HSM messages are local only");
  }

  @Override
  public Object decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException("HSM messages are local only");
  }

  @Override
  public Object transform(Object o) {
    return o;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
