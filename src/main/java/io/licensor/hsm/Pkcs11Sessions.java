package io.licensor.hsm;

import io.licensor.world.WorldKey;
import io.vertx.core.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS;
import sun.security.pkcs11.wrapper.CK_TOKEN_INFO;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static sun.security.pkcs11.wrapper.PKCS11Constants.*;

/**
 * The PKCS#11 token's sessions: one owner session, logged in, that finds the world and destroys
 * session objects, and one session per configured HSM session, each held by one operation at a
 * time. If the sessions turn out to be lost (closed under the node, the token reset), they are
 * reopened, the world's objects found again, and the operation run once more.
 */
final class Pkcs11Sessions implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Pkcs11Sessions.class);

  final PKCS11 p11;
  private final long slot;
  private final char[] pin;
  private final String worldId;
  private final int sessionCount;
  private final SecureRandom random;
  /** Called under the write lock once the sessions were lost: the session objects are gone with them. */
  private final Runnable onReopen;
  /** Operations hold the read lock; reopening the sessions holds the write lock. */
  private final ReentrantReadWriteLock reopening = new ReentrantReadWriteLock();
  private int generation;
  // set by open(), under the write lock (or in the constructor); read under the read lock
  private BlockingQueue<Long> sessions;
  private long owner;
  private Pkcs11World world;

  /** Opens the token, logs in and finds (with {@code enrolFrom}, enrols) the world; see {@link Pkcs11World#open}. */
  Pkcs11Sessions(String library, int slotListIndex, char[] pin, char[] soPin, WorldKey enrolFrom, String worldId,
                 int sessionCount, SecureRandom random, Runnable onReopen) {
    try {
      CK_C_INITIALIZE_ARGS init = new CK_C_INITIALIZE_ARGS();
      init.flags = CKF_OS_LOCKING_OK;
      try {
        this.p11 = PKCS11.getInstance(library, "C_GetFunctionList", init, false);
      } catch (IOException | PKCS11Exception | UnsatisfiedLinkError e) {
        throw new HsmException(HsmException.Reason.MISCONFIGURED, "hsm.pkcs11.library (LICENSOR_HSM_PKCS11_LIBRARY): cannot load "
            + "the PKCS#11 module " + library + ": " + e.getMessage());
      }
      long[] slots = p11.C_GetSlotList(true);
      if (slotListIndex >= slots.length) {
        throw new HsmException(HsmException.Reason.MISCONFIGURED, "hsm.pkcs11.slotListIndex: no PKCS#11 token at slot list "
            + "index " + slotListIndex + " of " + library + " (it sees " + slots.length + " slot(s) with a token)");
      }
      this.slot = slots[slotListIndex];
      CK_TOKEN_INFO token = p11.C_GetTokenInfo(slot);
      LOG.info("PKCS#11: library {}, slot {} (list index {}), token '{}' ({} {}, serial {}), {} session(s)", library, slot,
          slotListIndex, new String(token.label).trim(), new String(token.manufacturerID).trim(), new String(token.model).trim(),
          new String(token.serialNumber).trim(), sessionCount);
    } catch (PKCS11Exception e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "cannot open the PKCS#11 token: " + e.getMessage(), e);
    }
    this.pin = pin.clone();
    this.worldId = worldId;
    this.sessionCount = sessionCount;
    this.random = random;
    this.onReopen = onReopen;
    open(enrolFrom, soPin);
  }

  /** The world's objects on the token (read under an operation's session, or after start). */
  Pkcs11World world() {
    return world;
  }

  /** Logs in, finds (or enrols) the world's objects and opens the sessions (constructor, or under the write lock). */
  private void open(WorldKey enrolFrom, char[] soPin) {
    try {
      owner = p11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
      Pkcs11World.login(p11, owner, CKU_USER, pin);
      world = Pkcs11World.open(p11, owner, pin, worldId, enrolFrom, soPin, random);
      BlockingQueue<Long> opened = new ArrayBlockingQueue<>(sessionCount);
      for (int i = 0; i < sessionCount; i++) {
        opened.add(p11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null));
      }
      sessions = opened;
    } catch (PKCS11Exception e) {
      long code = e.getErrorCode();
      if (code == 0xA0L /* CKR_PIN_INCORRECT */ || code == 0xA1L /* CKR_PIN_INVALID */ || code == 0xA2L /* CKR_PIN_LEN_RANGE */
          || code == 0xA4L /* CKR_PIN_LOCKED */) {
        throw new HsmException(HsmException.Reason.MISCONFIGURED, "hsm.pkcs11.pin (LICENSOR_HSM_PKCS11_PIN or hsm.pkcs11.pinFile): "
            + "the token refused the PIN (" + e.getMessage() + ")" + (code == 0xA4L ? "; the PIN is locked: the token's SO must "
            + "unlock it" : ""));
      }
      throw new HsmException(HsmException.Reason.INTERNAL, "cannot open the PKCS#11 token: " + e.getMessage(), e);
    }
  }

  /** PKCS#11 errors that mean the sessions (and the session objects with them) are gone, not that the request was bad. */
  static boolean sessionsLost(PKCS11Exception e) {
    long code = e.getErrorCode();
    return code == 0xB3L /* CKR_SESSION_HANDLE_INVALID */ || code == 0xB0L /* CKR_SESSION_CLOSED */
        || code == 0x101L /* CKR_USER_NOT_LOGGED_IN */ || code == 0x82L /* CKR_OBJECT_HANDLE_INVALID */
        || code == 0x60L /* CKR_KEY_HANDLE_INVALID */ || code == 0x32L /* CKR_DEVICE_REMOVED */
        || code == 0xE0L /* CKR_TOKEN_NOT_PRESENT */ || code == 0x30L /* CKR_DEVICE_ERROR */;
  }

  /** Reopens the token's sessions and finds the world's objects again, unless another thread already did since {@code seen}. */
  private void reopen(int seen, PKCS11Exception cause) {
    reopening.writeLock().lock();
    try {
      if (generation != seen) {
        return;
      }
      LOG.warn("PKCS#11 sessions lost (error 0x{}); closing what is left and reopening", Long.toHexString(cause.getErrorCode()));
      List<Long> old = new ArrayList<>(sessions);
      old.add(owner);
      for (long session : old) {
        try {
          p11.C_CloseSession(session);
        } catch (PKCS11Exception e) {
          // already gone
        }
      }
      onReopen.run(); // the session objects' handles went with the sessions
      open(null, null);
      generation++;
      LOG.info("PKCS#11 sessions reopened ({} for operations)", sessionCount);
    } finally {
      reopening.writeLock().unlock();
    }
  }

  @FunctionalInterface
  interface SessionWork<T> {
    T run(long session) throws PKCS11Exception, GeneralSecurityException;
  }

  /**
   * Runs on one of this HSM's sessions, which no other operation uses meanwhile. If the token's
   * sessions turn out to be lost, reopens them and runs the operation once more.
   */
  <T> T withSession(SessionWork<T> work, HsmException.Reason onError, String what) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("HSM operation attempted on an event-loop thread");
    }
    for (int attempt = 0; ; attempt++) {
      int seen;
      PKCS11Exception lost;
      reopening.readLock().lock();
      try {
        seen = generation;
        BlockingQueue<Long> pool = sessions;
        long session;
        try {
          session = pool.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new HsmException(HsmException.Reason.INTERNAL, "interrupted");
        }
        try {
          return work.run(session);
        } catch (PKCS11Exception e) {
          if (attempt > 0 || !sessionsLost(e)) {
            throw new HsmException(onError, what, onError == HsmException.Reason.INTERNAL ? e : null);
          }
          lost = e;
        } catch (GeneralSecurityException e) {
          throw new HsmException(onError, what, onError == HsmException.Reason.INTERNAL ? e : null);
        } finally {
          pool.add(session);
        }
      } finally {
        reopening.readLock().unlock();
      }
      reopen(seen, lost);
    }
  }

  /** Destroys a session object (through the owner session: any session of the login may). */
  void destroy(long handle) {
    try {
      p11.C_DestroyObject(owner, handle);
    } catch (PKCS11Exception e) {
      // already gone with its session; nothing to free
    }
  }

  @Override
  public void close() {
    // the world's objects stay on the token: they are the world, for the next start
    for (Long s : sessions) {
      try {
        p11.C_CloseSession(s);
      } catch (PKCS11Exception e) {
        // closing anyway
      }
    }
    try {
      p11.C_CloseSession(owner);
    } catch (PKCS11Exception e) {
      // closing anyway
    }
  }
}
