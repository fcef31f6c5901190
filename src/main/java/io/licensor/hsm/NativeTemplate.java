package io.licensor.hsm;

import sun.misc.Unsafe;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A PKCS#11 attribute template as the value of another attribute ({@code CKA_UNWRAP_TEMPLATE}):
 * an array of {@code CK_ATTRIBUTE} whose values live in native memory. The JDK's PKCS#11 wrapper
 * passes only flat values, so the array is laid out here, for the platform's C layout (LP64:
 * type, pointer, length of 8 bytes each; Windows' LLP64: a 4-byte type and length, each padded
 * to 8). Boolean values only, which is all a wrapping key's template needs. The token copies the
 * template when it creates the object; close frees the native memory afterwards.
 */
final class NativeTemplate implements AutoCloseable {

  private static final Unsafe UNSAFE = unsafe();
  private static final boolean LLP64 = System.getProperty("os.name", "").startsWith("Windows");

  private final long memory;
  private final byte[] array;

  private NativeTemplate(long[] types, boolean[] values) {
    if (UNSAFE.addressSize() != 8) {
      throw new HsmException(HsmException.Reason.INTERNAL, "PKCS#11 attribute templates need a 64-bit JVM");
    }
    memory = UNSAFE.allocateMemory(types.length);
    ByteBuffer layout = ByteBuffer.allocate(24 * types.length).order(ByteOrder.nativeOrder());
    for (int i = 0; i < types.length; i++) {
      UNSAFE.putByte(memory + i, (byte) (values[i] ? 1 : 0));
      if (LLP64) {
        layout.putInt((int) types[i]).putInt(0).putLong(memory + i).putInt(1).putInt(0);
      } else {
        layout.putLong(types[i]).putLong(memory + i).putLong(1);
      }
    }
    array = layout.array();
  }

  /** A template of boolean attributes: {@code types[i]} must be {@code values[i]}. */
  static NativeTemplate of(long[] types, boolean[] values) {
    if (types.length != values.length || types.length == 0) {
      throw new IllegalArgumentException("one value per attribute type");
    }
    return new NativeTemplate(types, values);
  }

  /** The CK_ATTRIBUTE array, to be given as the template attribute's value. */
  byte[] bytes() {
    return array;
  }

  @Override
  public void close() {
    UNSAFE.freeMemory(memory);
  }

  private static Unsafe unsafe() {
    try {
      Field field = Unsafe.class.getDeclaredField("theUnsafe");
      field.setAccessible(true);
      return (Unsafe) field.get(null);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
