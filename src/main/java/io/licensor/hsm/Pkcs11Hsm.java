package io.licensor.hsm;

import io.licensor.world.WorldKey;
import io.vertx.core.Context;
import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.crypto.engines.AESWrapPadEngine;
import org.bouncycastle.crypto.params.KeyParameter;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS;
import sun.security.pkcs11.wrapper.CK_ECDH1_DERIVE_PARAMS;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.CK_RSA_PKCS_PSS_PARAMS;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import static sun.security.pkcs11.wrapper.PKCS11Constants.*;

/**
 * A PKCS#11 HSM (SoftHSM2 in tests; nShield, Luna and the like in production), driven through
 * the JDK's PKCS#11 wrapper: SunPKCS11's provider layer cannot wrap private keys (no
 * CKM_AES_KEY_WRAP_PAD), which key tokens need.
 *
 * <p><b>The world on the token.</b> The world key lives on the token as persistent objects, made
 * once from the module key (enrolment, on the first start against a token) and found by label on
 * every later start: the world key itself and the custody key derived from it (AES, wrap and
 * unwrap only), the key-token tag key and the backup MAC key (HMAC). All four are sensitive, never
 * extractable, not modifiable, copyable or destroyable. The two wrapping keys carry an unwrap
 * template: whatever the world key unwraps is private and sensitive; whatever the custody key
 * unwraps is moreover never extractable. So a holder of the token's PIN, with every key token of
 * the database, can use the tenant keys but not read one: the service-generated keys (exportable
 * to their tenant admin by contract) can be wrapped out, BYOK keys and key-exchange keys cannot
 * leave the token in any form. Given the SO PIN at enrolment, the two wrapping keys are made by
 * the SO as trusted keys and every private key made or imported here is
 * {@code CKA_WRAP_WITH_TRUSTED}: it can leave the token only wrapped under the world's own keys.
 *
 * <p>Private keys are generated on the token as sensitive and leave it only wrapped
 * (C_WrapKey, AES-KWP) into key tokens of the same layout as {@link SoftwareHsm}'s, so both
 * backends of one world read each other's tokens. A key token loaded for use becomes a
 * non-extractable session object. One PKCS#11 session per configured HSM session; an operation
 * holds its session until it is done.
 *
 * <p>Trust boundaries, by necessity: OAEP is decoded in software from the raw RSA result (the
 * content key it carries leaves the token, as it does anyway); ECDH returns the shared secret;
 * an export unwraps in software (it hands the key to its owner by definition).
 */
public final class Pkcs11Hsm implements Hsm {

  private static final long CKM_AES_KEY_WRAP_PAD = 0x210AL;
  private static final long CKA_TRUSTED = 0x86L;
  private static final long CKA_WRAP_WITH_TRUSTED = 0x210L;
  private static final long CKA_UNWRAP_TEMPLATE = 0x40000212L;
  private static final long CKA_COPYABLE = 0x171L;
  private static final long CKA_DESTROYABLE = 0x172L;
  private static final byte EXTRACTABLE = KeyTokenLayout.EXTRACTABLE;
  private static final byte KEK = KeyTokenLayout.KEK;
  private static final byte[] P256_OID = {0x06, 0x08, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x03, 0x01, 0x07};
  private static final byte[] P384_OID = {0x06, 0x05, 0x2B, (byte) 0x81, 0x04, 0x00, 0x22};

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Pkcs11Hsm.class);

  private final PKCS11 p11;
  private final String worldId;
  private final long slot;
  private final char[] pin;
  private final int sessionCount;
  /** Operations hold the read lock; reopening the sessions holds the write lock. */
  private final java.util.concurrent.locks.ReentrantReadWriteLock reopening = new java.util.concurrent.locks.ReentrantReadWriteLock();
  private int generation;
  // set by open(), under the write lock (or in the constructor); read under the read lock
  private BlockingQueue<Long> sessions;
  private long owner;
  private WorldObjects world;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Loaded> keys;

  private record Loaded(KeyToken token, long handle, boolean kek) {
  }

  /** The world's objects on the token, by handle; {@code trusted}: its wrapping keys are CKA_TRUSTED. */
  private record WorldObjects(long wrap, long custody, long tag, long mac, boolean trusted) {
  }

  /** The world's four objects on the token, by their label's last word. */
  private enum WorldObject {
    WRAP, CUSTODY, TAG, MAC;

    char[] label(String worldId) {
      return ("licensor " + worldId + " " + name().toLowerCase(java.util.Locale.ROOT)).toCharArray();
    }
  }

  /** For tests and benchmarks: enrols the world without an SO PIN where the token does not hold it yet. */
  public Pkcs11Hsm(String library, int slotListIndex, char[] pin, WorldKey world, int sessionCount, int keyCacheSize) {
    this(library, slotListIndex, pin, null, world, sessionCount, keyCacheSize);
  }

  /**
   * Opens the token and logs in. If the token does not hold {@code world} yet, enrols it from the
   * module key (as trusted keys when {@code soPin} is given, see the class comment); if it does,
   * checks that its objects are this module key's. The module key is not kept: the caller
   * destroys it. If the token's sessions are later lost (closed under it, the token reset), the
   * next operation reopens them, finds the world's objects again, and is retried once.
   */
  public Pkcs11Hsm(String library, int slotListIndex, char[] pin, char[] soPin, WorldKey world, int sessionCount,
                   int keyCacheSize) {
    this(library, slotListIndex, pin, soPin, world, world.worldId(), sessionCount, keyCacheSize);
  }

  /**
   * Opens the token for world {@code worldId}, enrolled there by an earlier start: no module key
   * is needed, and none is read. Fails if the token does not hold the world.
   */
  public Pkcs11Hsm(String library, int slotListIndex, char[] pin, String worldId, int sessionCount, int keyCacheSize) {
    this(library, slotListIndex, pin, null, null, worldId, sessionCount, keyCacheSize);
  }

  private Pkcs11Hsm(String library, int slotListIndex, char[] pin, char[] soPin, WorldKey world, String worldId,
                    int sessionCount, int keyCacheSize) {
    try {
      CK_C_INITIALIZE_ARGS init = new CK_C_INITIALIZE_ARGS();
      init.flags = CKF_OS_LOCKING_OK;
      this.p11 = PKCS11.getInstance(library, "C_GetFunctionList", init, false);
      long[] slots = p11.C_GetSlotList(true);
      if (slotListIndex >= slots.length) {
        throw new HsmException(HsmException.Reason.INTERNAL, "no PKCS#11 token at slot list index " + slotListIndex);
      }
      this.slot = slots[slotListIndex];
    } catch (java.io.IOException | PKCS11Exception e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "cannot open the PKCS#11 token: " + e.getMessage(), e);
    }
    this.pin = pin.clone();
    this.sessionCount = sessionCount;
    this.worldId = worldId;
    open(world, soPin);
    if (this.world.trusted()) {
      LOG.info("security world {} is on the PKCS#11 token; its wrapping keys are trusted: tenant keys leave the token only "
          + "wrapped under them, BYOK keys never", worldId);
    } else {
      LOG.warn("security world {} is on the PKCS#11 token, its wrapping keys untrusted (enrolled without the SO PIN): BYOK keys "
          + "never leave the token, but a key being made could be wrapped under another key by code holding the user PIN. "
          + "Enrol the world on a new token with LICENSOR_HSM_PKCS11_SO_PIN set to make them trusted", worldId);
    }
    this.keys = new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Loaded> eldest) {
        if (size() > keyCacheSize) {
          destroy(eldest.getValue().handle());
          return true;
        }
        return false;
      }
    };
  }

  /** Whether the world's wrapping keys on the token are trusted (enrolled with the SO PIN). */
  public boolean trustedWrapping() {
    return world.trusted();
  }

  /**
   * Logs in, finds (or, with {@code enrolFrom}, enrols) the world's objects and opens the sessions
   * (constructor, or under the write lock with {@code enrolFrom} null).
   */
  private void open(WorldKey enrolFrom, char[] soPin) {
    try {
      owner = p11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
      login(owner, CKU_USER, pin);
      Map<WorldObject, Long> found = find(owner);
      if (found.size() < WorldObject.values().length) {
        if (enrolFrom == null) {
          throw new HsmException(HsmException.Reason.INTERNAL, "the PKCS#11 token does not hold security world " + worldId
              + (found.isEmpty() ? "" : " whole (missing: " + missing(found) + ")")
              + "; start the node with the world's module key in its data directory to enrol it");
        }
        enrol(enrolFrom, soPin, found);
        found = find(owner);
      }
      WorldObjects objects = new WorldObjects(found.get(WorldObject.WRAP), found.get(WorldObject.CUSTODY),
          found.get(WorldObject.TAG), found.get(WorldObject.MAC), trusted(found.get(WorldObject.WRAP)));
      if (enrolFrom != null) {
        check(objects, enrolFrom);
      }
      world = objects;
      BlockingQueue<Long> opened = new ArrayBlockingQueue<>(sessionCount);
      for (int i = 0; i < sessionCount; i++) {
        opened.add(p11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null));
      }
      sessions = opened;
    } catch (PKCS11Exception e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "cannot open the PKCS#11 token: " + e.getMessage(), e);
    }
  }

  private void login(long session, long userType, char[] secret) throws PKCS11Exception {
    try {
      p11.C_Login(session, userType, secret);
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() != PKCS11Exception.CKR_USER_ALREADY_LOGGED_IN) {
        throw e;
      }
    }
  }

  private Map<WorldObject, Long> find(long session) throws PKCS11Exception {
    Map<WorldObject, Long> found = new java.util.EnumMap<>(WorldObject.class);
    for (WorldObject object : WorldObject.values()) {
      p11.C_FindObjectsInit(session, new CK_ATTRIBUTE[] {
          new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_LABEL, object.label(worldId))});
      try {
        long[] handles = p11.C_FindObjects(session, 2);
        if (handles.length > 1) {
          throw new HsmException(HsmException.Reason.INTERNAL, "the PKCS#11 token holds two objects labelled '"
              + new String(object.label(worldId)) + "'");
        }
        if (handles.length == 1) {
          found.put(object, handles[0]);
        }
      } finally {
        p11.C_FindObjectsFinal(session);
      }
    }
    return found;
  }

  private static String missing(Map<WorldObject, Long> found) {
    return java.util.Arrays.stream(WorldObject.values()).filter(o -> !found.containsKey(o))
        .map(o -> o.name().toLowerCase(java.util.Locale.ROOT)).collect(java.util.stream.Collectors.joining(", "));
  }

  private boolean trusted(long handle) throws PKCS11Exception {
    CK_ATTRIBUTE[] a = {new CK_ATTRIBUTE(CKA_TRUSTED)};
    p11.C_GetAttributeValue(owner, handle, a);
    return a[0].getBoolean();
  }

  /**
   * Puts the world's missing objects on the token, from the module key. The wrapping keys are
   * made by the SO (trusted, and then public objects: the SO cannot see private ones; their
   * unwrap templates make everything they unwrap private, so they are of no use without the user
   * PIN) when {@code soPin} is given, else by the user, untrusted.
   */
  private void enrol(WorldKey from, char[] soPin, Map<WorldObject, Long> found) throws PKCS11Exception {
    if (!from.worldId().equals(worldId)) {
      throw new HsmException(HsmException.Reason.INTERNAL, "module key of world " + from.worldId() + ", not " + worldId);
    }
    byte[] worldKey = from.secretBytesForHsm();
    byte[] custodyKey = KeyTokenLayout.derive(worldKey, KeyTokenLayout.CUSTODY_KEY_LABEL);
    byte[] tagKey = KeyTokenLayout.derive(worldKey, KeyTokenLayout.TAG_KEY_LABEL);
    byte[] macKey = KeyTokenLayout.derive(worldKey, KeyTokenLayout.BACKUP_MAC_LABEL);
    try {
      if (!found.containsKey(WorldObject.TAG)) {
        p11.C_CreateObject(owner, worldSecret(WorldObject.TAG, CKK_GENERIC_SECRET, tagKey, true, false, null, CKA_SIGN, CKA_VERIFY));
      }
      if (!found.containsKey(WorldObject.MAC)) {
        p11.C_CreateObject(owner, worldSecret(WorldObject.MAC, CKK_GENERIC_SECRET, macKey, true, false, null, CKA_SIGN, CKA_VERIFY));
      }
      boolean needWrapping = !found.containsKey(WorldObject.WRAP) || !found.containsKey(WorldObject.CUSTODY);
      boolean asSo = soPin != null && soPin.length > 0 && needWrapping;
      if (asSo) {
        p11.C_Logout(owner);
        login(owner, CKU_SO, soPin);
      }
      try (NativeTemplate unwrapsPrivate = NativeTemplate.of(new long[] {CKA_PRIVATE, CKA_SENSITIVE}, new boolean[] {true, true});
           NativeTemplate unwrapsInCustody = NativeTemplate.of(new long[] {CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE},
               new boolean[] {true, true, false})) {
        if (!found.containsKey(WorldObject.WRAP)) {
          p11.C_CreateObject(owner, worldSecret(WorldObject.WRAP, CKK_AES, worldKey, !asSo, asSo, unwrapsPrivate, CKA_WRAP, CKA_UNWRAP));
        }
        if (!found.containsKey(WorldObject.CUSTODY)) {
          p11.C_CreateObject(owner, worldSecret(WorldObject.CUSTODY, CKK_AES, custodyKey, !asSo, asSo, unwrapsInCustody, CKA_WRAP,
              CKA_UNWRAP));
        }
      } finally {
        if (asSo) {
          p11.C_Logout(owner);
          login(owner, CKU_USER, pin);
        }
      }
      LOG.info("security world {} enrolled on the PKCS#11 token{}", worldId, asSo
          ? ", its wrapping keys trusted (made by the SO): tenant keys leave the token only wrapped under them"
          : needWrapping ? ", its wrapping keys untrusted (no SO PIN given)" : "");
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() == 0xA0L /* CKR_PIN_INCORRECT */) {
        throw new HsmException(HsmException.Reason.INTERNAL, "cannot enrol the world on the PKCS#11 token: the SO PIN is incorrect");
      }
      throw e;
    } finally {
      Arrays.fill(worldKey, (byte) 0);
      Arrays.fill(custodyKey, (byte) 0);
      Arrays.fill(tagKey, (byte) 0);
      Arrays.fill(macKey, (byte) 0);
    }
  }

  /** A persistent world object: sensitive, never extractable, modifiable, copyable or destroyable. */
  private CK_ATTRIBUTE[] worldSecret(WorldObject object, long keyType, byte[] value, boolean privateObject, boolean trusted,
                                     NativeTemplate unwrapTemplate, long... usages) {
    List<CK_ATTRIBUTE> t = new java.util.ArrayList<>(List.of(
        new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, keyType), new CK_ATTRIBUTE(CKA_VALUE, value),
        new CK_ATTRIBUTE(CKA_TOKEN, true), new CK_ATTRIBUTE(CKA_PRIVATE, privateObject), new CK_ATTRIBUTE(CKA_SENSITIVE, true),
        new CK_ATTRIBUTE(CKA_EXTRACTABLE, false), new CK_ATTRIBUTE(CKA_MODIFIABLE, false), new CK_ATTRIBUTE(CKA_COPYABLE, false),
        new CK_ATTRIBUTE(CKA_DESTROYABLE, false), new CK_ATTRIBUTE(CKA_LABEL, object.label(worldId)),
        new CK_ATTRIBUTE(CKA_ID, ("licensor/" + worldId).getBytes(StandardCharsets.US_ASCII))));
    if (trusted) {
      t.add(new CK_ATTRIBUTE(CKA_TRUSTED, true));
    }
    if (unwrapTemplate != null) {
      t.add(new CK_ATTRIBUTE(CKA_UNWRAP_TEMPLATE, unwrapTemplate.bytes()));
    }
    for (long usage : usages) {
      t.add(new CK_ATTRIBUTE(usage, true));
    }
    return t.toArray(new CK_ATTRIBUTE[0]);
  }

  /**
   * Checks that the token's objects are those of this module key: each HMAC key tags a probe as
   * the key derived from the module key does, each wrapping key wraps a known key as it does.
   */
  private void check(WorldObjects objects, WorldKey from) throws PKCS11Exception {
    byte[] worldKey = from.secretBytesForHsm();
    byte[] tagKey = KeyTokenLayout.derive(worldKey, KeyTokenLayout.TAG_KEY_LABEL);
    byte[] macKey = KeyTokenLayout.derive(worldKey, KeyTokenLayout.BACKUP_MAC_LABEL);
    byte[] custodyKey = KeyTokenLayout.derive(worldKey, KeyTokenLayout.CUSTODY_KEY_LABEL);
    byte[] probe = new byte[32];
    random.nextBytes(probe);
    try {
      boolean matches = hmacMatches(objects.tag(), tagKey, probe) && hmacMatches(objects.mac(), macKey, probe)
          && wrapMatches(objects.wrap(), worldKey, probe) && wrapMatches(objects.custody(), custodyKey, probe);
      if (!matches) {
        throw new HsmException(HsmException.Reason.INTERNAL, "the PKCS#11 token's objects of security world " + worldId
            + " are not those of its module key");
      }
    } finally {
      Arrays.fill(worldKey, (byte) 0);
      Arrays.fill(tagKey, (byte) 0);
      Arrays.fill(macKey, (byte) 0);
      Arrays.fill(custodyKey, (byte) 0);
    }
  }

  private boolean hmacMatches(long handle, byte[] key, byte[] probe) throws PKCS11Exception {
    p11.C_SignInit(owner, new CK_MECHANISM(CKM_SHA256_HMAC), handle);
    return MessageDigest.isEqual(p11.C_Sign(owner, probe), KeyTokenLayout.hmacSha256(key, probe));
  }

  /** A throw-away key of known value (the probe), wrapped on the token and here: the same bytes if the keys are. */
  private boolean wrapMatches(long handle, byte[] key, byte[] probe) throws PKCS11Exception {
    long known = p11.C_CreateObject(owner, new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_GENERIC_SECRET),
        new CK_ATTRIBUTE(CKA_VALUE, probe), new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_SENSITIVE, false),
        new CK_ATTRIBUTE(CKA_EXTRACTABLE, true)});
    try {
      byte[] onToken = p11.C_WrapKey(owner, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), handle, known);
      AESWrapPadEngine kwp = new AESWrapPadEngine();
      kwp.init(true, new KeyParameter(key));
      return MessageDigest.isEqual(onToken, kwp.wrap(probe, 0, probe.length));
    } finally {
      destroy(known);
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
      List<Long> old = new java.util.ArrayList<>(sessions);
      old.add(owner);
      for (long session : old) {
        try {
          p11.C_CloseSession(session);
        } catch (PKCS11Exception e) {
          // already gone
        }
      }
      synchronized (keys) {
        keys.clear(); // their handles went with the sessions
      }
      open(null, null);
      generation++;
      LOG.info("PKCS#11 sessions reopened ({} for operations)", sessionCount);
    } finally {
      reopening.writeLock().unlock();
    }
  }

  /** A session object of a secret key (a transfer key, made here and gone with the operation). */
  private static CK_ATTRIBUTE[] secret(long keyType, byte[] value, long... usages) {
    CK_ATTRIBUTE[] t = new CK_ATTRIBUTE[6 + usages.length];
    t[0] = new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY);
    t[1] = new CK_ATTRIBUTE(CKA_KEY_TYPE, keyType);
    t[2] = new CK_ATTRIBUTE(CKA_VALUE, value);
    t[3] = new CK_ATTRIBUTE(CKA_TOKEN, false);
    t[4] = new CK_ATTRIBUTE(CKA_SENSITIVE, true);
    t[5] = new CK_ATTRIBUTE(CKA_EXTRACTABLE, false);
    for (int i = 0; i < usages.length; i++) {
      t[6 + i] = new CK_ATTRIBUTE(usages[i], true);
    }
    return t;
  }


  @FunctionalInterface
  private interface SessionWork<T> {
    T run(long session) throws PKCS11Exception, GeneralSecurityException;
  }

  /**
   * Runs on one of this HSM's sessions, which no other operation uses meanwhile. If the token's
   * sessions turn out to be lost, reopens them and runs the operation once more.
   */
  private <T> T withSession(SessionWork<T> work, HsmException.Reason onError, String what) {
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

  @Override
  public String worldId() {
    return worldId;
  }

  @Override
  public GeneratedKey generate(KeyAlgorithm algorithm) {
    return generateWrapped(algorithm, false, EXTRACTABLE, "key generation failed");
  }

  @Override
  public GeneratedKey generateKek() {
    return generateWrapped(KeyAlgorithm.RSA_4096, true, KEK, "KEK generation failed");
  }

  /** A key pair made on the token, leaving it only wrapped into a key token with these attributes. */
  private GeneratedKey generateWrapped(KeyAlgorithm algorithm, boolean kek, byte attributes, String failure) {
    return withSession(s -> {
      long[] pair = generatePair(s, algorithm, kek);
      try {
        PublicKey publicKey = publicKeyOf(s, pair[0], algorithm);
        return new GeneratedKey(algorithm, publicKey, new KeyToken(worldId, wrapIntoToken(s, attributes, pair[1])));
      } finally {
        destroy(pair[0]);
        destroy(pair[1]);
      }
    }, HsmException.Reason.INTERNAL, failure);
  }

  /** A key token of {@link KeyTokenLayout}: the key wrapped on the token under the world key or the custody key, tagged there. */
  private byte[] wrapIntoToken(long s, byte attributes, long privateKey) throws PKCS11Exception {
    byte format = KeyTokenLayout.formatFor(attributes);
    byte[] wrapped = p11.C_WrapKey(s, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), wrappingKey(format), privateKey);
    return KeyTokenLayout.assemble(format, attributes, tag(s, format, attributes, wrapped), wrapped);
  }

  private long wrappingKey(byte format) {
    return format == KeyTokenLayout.CUSTODY_FORMAT ? world.custody() : world.wrap();
  }

  private long[] generatePair(long s, KeyAlgorithm algorithm, boolean kek) throws PKCS11Exception {
    if (algorithm.isRsa()) {
      CK_ATTRIBUTE[] pub = {
          new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_MODULUS_BITS, (long) algorithm.bits()),
          new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, BigInteger.valueOf(65537)), new CK_ATTRIBUTE(CKA_VERIFY, true),
          new CK_ATTRIBUTE(CKA_ENCRYPT, true)};
      return p11.C_GenerateKeyPair(s, new CK_MECHANISM(CKM_RSA_PKCS_KEY_PAIR_GEN), pub, privateTemplate(CKK_RSA, kek, Exit.WORLD_ONLY));
    }
    CK_ATTRIBUTE[] pub = {
        new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_EC_PARAMS, oid(algorithm)), new CK_ATTRIBUTE(CKA_VERIFY, true)};
    return p11.C_GenerateKeyPair(s, new CK_MECHANISM(CKM_EC_KEY_PAIR_GEN), pub, privateTemplate(CKK_EC, false, Exit.WORLD_ONLY));
  }

  /** How a private key object may leave the token. */
  private enum Exit {
    /** Not at all: a key token loaded for use. */
    NONE,
    /** Only to be wrapped into its key token (under the world's keys alone, when they are trusted): a key being made or imported. */
    WORLD_ONLY,
    /** Wrapped under any key: the short-lived copy an export of a service-generated key makes. */
    ANY
  }

  /** Private and sensitive (never readable in the clear), and leaving the token only as {@code exit} says. */
  private CK_ATTRIBUTE[] privateTemplate(long keyType, boolean kek, Exit exit) {
    List<CK_ATTRIBUTE> t = new java.util.ArrayList<>(List.of(
        new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, keyType),
        new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_PRIVATE, true), new CK_ATTRIBUTE(CKA_SENSITIVE, true),
        new CK_ATTRIBUTE(CKA_EXTRACTABLE, exit != Exit.NONE),
        new CK_ATTRIBUTE(CKA_SIGN, !kek),
        new CK_ATTRIBUTE(keyType == CKK_RSA ? CKA_DECRYPT : CKA_DERIVE, true)));
    if (exit != Exit.NONE && world.trusted()) {
      t.add(new CK_ATTRIBUTE(CKA_WRAP_WITH_TRUSTED, exit == Exit.WORLD_ONLY));
    }
    return t.toArray(new CK_ATTRIBUTE[0]);
  }

  private static byte[] oid(KeyAlgorithm algorithm) {
    return algorithm == KeyAlgorithm.EC_P384 ? P384_OID : P256_OID;
  }

  private PublicKey publicKeyOf(long s, long publicHandle, KeyAlgorithm algorithm) throws PKCS11Exception,
      GeneralSecurityException {
    if (algorithm.isRsa()) {
      CK_ATTRIBUTE[] a = {new CK_ATTRIBUTE(CKA_MODULUS), new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT)};
      p11.C_GetAttributeValue(s, publicHandle, a);
      return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(a[0].getBigInteger(), a[1].getBigInteger()));
    }
    CK_ATTRIBUTE[] a = {new CK_ATTRIBUTE(CKA_EC_POINT)};
    p11.C_GetAttributeValue(s, publicHandle, a);
    byte[] point = a[0].getByteArray();
    if (point.length != 2 * fieldBytes(algorithm) + 1) {
      // most tokens give the point inside a DER OCTET STRING
      point = org.bouncycastle.asn1.ASN1OctetString.getInstance(point).getOctets();
    }
    ECParameterSpec params = params(algorithm);
    org.bouncycastle.math.ec.ECPoint q = EC5Util.convertCurve(params.getCurve()).decodePoint(point).normalize();
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
        new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), params));
  }

  private static ECParameterSpec params(KeyAlgorithm algorithm) throws GeneralSecurityException {
    AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
    p.init(new ECGenParameterSpec(algorithm.curve()));
    return p.getParameterSpec(ECParameterSpec.class);
  }

  private byte[] tag(long s, byte format, byte attributes, byte[] wrapped) throws PKCS11Exception {
    p11.C_SignInit(s, new CK_MECHANISM(CKM_SHA256_HMAC), world.tag());
    return p11.C_Sign(s, KeyTokenLayout.tagInput(format, attributes, wrapped));
  }

  private Loaded loaded(long s, KeyRef ref) throws PKCS11Exception {
    synchronized (keys) {
      Loaded cached = keys.get(ref.kid());
      if (cached != null && cached.token().equals(ref.token())) {
        return cached;
      }
    }
    KeyTokenLayout.Parts parts = checkedParts(s, ref);
    long handle = unwrapFromToken(s, ref, parts, Exit.NONE);
    Loaded loaded = new Loaded(ref.token(), handle, parts.kek());
    synchronized (keys) {
      Loaded previous = keys.put(ref.kid(), loaded);
      if (previous != null && previous.handle() != handle) {
        destroy(previous.handle());
      }
    }
    return loaded;
  }

  /** A key token's parts, its tag checked on the token. */
  private KeyTokenLayout.Parts checkedParts(long s, KeyRef ref) throws PKCS11Exception {
    KeyTokenLayout.Parts parts = KeyTokenLayout.parse(ref, worldId);
    if (!MessageDigest.isEqual(tag(s, parts.format(), parts.attributes(), parts.wrapped()), parts.tag())) {
      throw KeyTokenLayout.altered();
    }
    return parts;
  }

  /** The key of a (checked) key token as a session object that leaves the token only as {@code exit} says. */
  private long unwrapFromToken(long s, KeyRef ref, KeyTokenLayout.Parts parts, Exit exit) throws PKCS11Exception {
    try {
      return p11.C_UnwrapKey(s, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), wrappingKey(parts.format()), parts.wrapped(),
          privateTemplate(ref.algorithm().isRsa() ? CKK_RSA : CKK_EC, parts.kek(), exit));
    } catch (PKCS11Exception e) {
      if (sessionsLost(e)) {
        throw e;
      }
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key token does not unwrap under this world");
    }
  }

  private Loaded tenantKey(long s, KeyRef ref) throws PKCS11Exception {
    Loaded k = loaded(s, ref);
    if (k.kek()) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "a key-exchange key is usable only to import");
    }
    return k;
  }

  @Override
  public PublicKey load(KeyRef key) {
    return withSession(s -> {
      Loaded k = tenantKey(s, key);
      if (key.algorithm().isRsa()) {
        return publicKeyOfPrivate(s, k.handle());
      }
      return ecPublicKeyOfPrivate(s, k.handle(), key.algorithm());
    }, HsmException.Reason.KEY_UNAVAILABLE, "key token does not hold a usable key");
  }

  private PublicKey publicKeyOfPrivate(long s, long privateHandle) throws PKCS11Exception, GeneralSecurityException {
    CK_ATTRIBUTE[] a = {new CK_ATTRIBUTE(CKA_MODULUS), new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT)};
    p11.C_GetAttributeValue(s, privateHandle, a);
    return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(a[0].getBigInteger(), a[1].getBigInteger()));
  }

  /**
   * A private EC key object does not carry its public point. ECDH with the curve's generator gives
   * the point's x coordinate; of the two points with that x, the one a test signature verifies
   * against is the public key.
   */
  private PublicKey ecPublicKeyOfPrivate(long s, long privateHandle, KeyAlgorithm algorithm) throws PKCS11Exception,
      GeneralSecurityException {
    ECParameterSpec params = params(algorithm);
    ECCurve curve = EC5Util.convertCurve(params.getCurve());
    org.bouncycastle.math.ec.ECPoint g = EC5Util.convertPoint(curve, params.getGenerator());
    byte[] x = derive(s, privateHandle, g.getEncoded(false), fieldBytes(algorithm));
    byte[] probe = new byte[32];
    random.nextBytes(probe);
    byte[] signature = signEc(s, privateHandle, algorithm, probe);
    for (byte prefix : new byte[] {0x02, 0x03}) {
      byte[] compressed = new byte[x.length + 1];
      compressed[0] = prefix;
      System.arraycopy(x, 0, compressed, 1, x.length);
      org.bouncycastle.math.ec.ECPoint q = curve.decodePoint(compressed).normalize();
      PublicKey candidate = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
          new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), params));
      Signature verifier = Signature.getInstance(algorithm == KeyAlgorithm.EC_P384 ? "SHA384withECDSAinP1363Format"
          : "SHA256withECDSAinP1363Format");
      verifier.initVerify(candidate);
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return candidate;
      }
    }
    throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "the EC key's public point cannot be established");
  }

  private static int fieldBytes(KeyAlgorithm algorithm) {
    return algorithm == KeyAlgorithm.EC_P384 ? 48 : 32;
  }

  private byte[] derive(long s, long privateHandle, byte[] peerPoint, int length) throws PKCS11Exception {
    CK_MECHANISM ecdh = new CK_MECHANISM(CKM_ECDH1_DERIVE, new CK_ECDH1_DERIVE_PARAMS(CKD_NULL, null, peerPoint));
    CK_ATTRIBUTE[] template = {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_GENERIC_SECRET),
        new CK_ATTRIBUTE(CKA_VALUE_LEN, (long) length), new CK_ATTRIBUTE(CKA_TOKEN, false),
        new CK_ATTRIBUTE(CKA_SENSITIVE, false), new CK_ATTRIBUTE(CKA_EXTRACTABLE, true)};
    long secret = p11.C_DeriveKey(s, ecdh, privateHandle, template);
    try {
      CK_ATTRIBUTE[] value = {new CK_ATTRIBUTE(CKA_VALUE)};
      p11.C_GetAttributeValue(s, secret, value);
      return value[0].getByteArray();
    } finally {
      destroy(secret);
    }
  }

  @Override
  public byte[] decryptOaepSha256(KeyRef key, byte[] ciphertext) {
    if (!key.algorithm().isRsa()) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key is not an RSA key");
    }
    return withSession(s -> {
      Loaded k = tenantKey(s, key);
      int modulusBytes = key.algorithm().bits() / 8;
      if (ciphertext.length != modulusBytes) {
        throw new HsmException(HsmException.Reason.BAD_INPUT, "decryption failed");
      }
      return OaepDecoding.decode(rawDecrypt(s, k.handle(), ciphertext, modulusBytes), modulusBytes, "SHA-256");
    }, HsmException.Reason.BAD_INPUT, "decryption failed");
  }

  private byte[] rawDecrypt(long s, long handle, byte[] in, int k) throws PKCS11Exception {
    p11.C_DecryptInit(s, new CK_MECHANISM(CKM_RSA_X_509), handle);
    byte[] out = new byte[k];
    int n = p11.C_Decrypt(s, 0, in, 0, in.length, 0, out, 0, out.length);
    return n == k ? out : Arrays.copyOf(out, n);
  }

  @Override
  public byte[] agree(KeyRef key, ECPublicKey peer) {
    if (key.algorithm().isRsa()) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key is not an EC key");
    }
    return withSession(s -> {
      Loaded k = tenantKey(s, key);
      ECParameterSpec params = params(key.algorithm());
      if (!params.getCurve().equals(peer.getParams().getCurve())) {
        throw new HsmException(HsmException.Reason.BAD_INPUT, "peer key is on another curve");
      }
      org.bouncycastle.math.ec.ECPoint point = EC5Util.convertPoint(EC5Util.convertCurve(params.getCurve()), peer.getW());
      return derive(s, k.handle(), point.getEncoded(false), fieldBytes(key.algorithm()));
    }, HsmException.Reason.BAD_INPUT, "invalid peer key");
  }

  @Override
  public byte[] sign(KeyRef key, byte[] signingInput) {
    return withSession(s -> {
      Loaded k = tenantKey(s, key);
      if (key.algorithm().isRsa()) {
        CK_MECHANISM pss = new CK_MECHANISM(CKM_SHA256_RSA_PKCS_PSS);
        pss.setParameter(new CK_RSA_PKCS_PSS_PARAMS("SHA-256", "MGF1", "SHA-256", 32));
        p11.C_SignInit(s, pss, k.handle());
        return p11.C_Sign(s, signingInput);
      }
      return signEc(s, k.handle(), key.algorithm(), signingInput);
    }, HsmException.Reason.INTERNAL, "signing error");
  }

  /** ECDSA over a digest made here; the token returns r || s, which is JOSE's format already. */
  private byte[] signEc(long s, long handle, KeyAlgorithm algorithm, byte[] data) throws PKCS11Exception,
      GeneralSecurityException {
    byte[] digest = MessageDigest.getInstance(algorithm == KeyAlgorithm.EC_P384 ? "SHA-384" : "SHA-256").digest(data);
    p11.C_SignInit(s, new CK_MECHANISM(CKM_ECDSA), handle);
    return p11.C_Sign(s, digest);
  }

  @Override
  public GeneratedKey importPrivateKey(KeyAlgorithm algorithm, byte[] pkcs8) {
    SoftwareHsm.checkImport(algorithm, pkcs8);
    byte[] transferKey = new byte[32];
    random.nextBytes(transferKey);
    try {
      AESWrapPadEngine kwp = new AESWrapPadEngine();
      kwp.init(true, new KeyParameter(transferKey));
      byte[] wrapped = kwp.wrap(pkcs8, 0, pkcs8.length);
      return importWrapped(algorithm, transferKey, wrapped, HsmException.Reason.NOT_A_PRIVATE_KEY);
    } finally {
      Arrays.fill(transferKey, (byte) 0);
    }
  }

  @Override
  public GeneratedKey importTransfer(KeyRef kekRef, byte[] ciphertext, String oaepHash, KeyAlgorithm algorithm) {
    byte[] aesKey = withSession(s -> {
      Loaded kek = loaded(s, kekRef);
      if (!kek.kek()) {
        throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "not a key-exchange key");
      }
      int k = 512;
      if (ciphertext.length <= k + 16) {
        throw new HsmException(HsmException.Reason.TRANSFER_UNWRAP_FAILED, "the ciphertext is too short for this KEK");
      }
      byte[] key;
      try {
        key = OaepDecoding.decode(rawDecrypt(s, kek.handle(), Arrays.copyOf(ciphertext, k), k), k, oaepHash);
      } catch (HsmException e) {
        throw new HsmException(HsmException.Reason.TRANSFER_UNWRAP_FAILED,
            "the AES key does not unwrap with this KEK (wrong oaep_hash, a file for another KEK, or a corrupt ciphertext)");
      }
      if (key.length != 32) {
        throw new HsmException(HsmException.Reason.TRANSFER_UNWRAP_FAILED, "the wrapped AES key is not 256 bits");
      }
      return key;
    }, HsmException.Reason.TRANSFER_UNWRAP_FAILED, "the transfer does not unwrap");
    try {
      return importWrapped(algorithm, aesKey, Arrays.copyOfRange(ciphertext, 512, ciphertext.length),
          HsmException.Reason.TRANSFER_UNWRAP_FAILED);
    } finally {
      Arrays.fill(aesKey, (byte) 0);
    }
  }

  /**
   * Unwraps an AES-KWP-wrapped PKCS#8 onto the token (the private key never exists in this
   * process), checks its algorithm and size, and re-wraps it under the custody key as a
   * non-extractable key token: loaded again, it can never leave the token.
   */
  private GeneratedKey importWrapped(KeyAlgorithm algorithm, byte[] aesKey, byte[] wrapped, HsmException.Reason onUnwrap) {
    return withSession(s -> {
      long transfer = p11.C_CreateObject(s, secret(CKK_AES, aesKey, CKA_UNWRAP));
      long handle;
      try {
        handle = p11.C_UnwrapKey(s, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), transfer, wrapped,
            privateTemplate(algorithm.isRsa() ? CKK_RSA : CKK_EC, false, Exit.WORLD_ONLY));
      } catch (PKCS11Exception e) {
        throw new HsmException(onUnwrap, "the private key does not unwrap as a " + algorithm.wireName() + " key");
      } finally {
        destroy(transfer);
      }
      try {
        PublicKey publicKey;
        if (algorithm.isRsa()) {
          publicKey = publicKeyOfPrivate(s, handle);
          int bits = ((RSAPublicKey) publicKey).getModulus().bitLength();
          if (bits != algorithm.bits()) {
            throw new HsmException(HsmException.Reason.KEY_NOT_ALLOWED, "the key is RSA-" + bits + ", not " + algorithm.wireName());
          }
        } else {
          CK_ATTRIBUTE[] a = {new CK_ATTRIBUTE(CKA_EC_PARAMS)};
          p11.C_GetAttributeValue(s, handle, a);
          if (!Arrays.equals(a[0].getByteArray(), oid(algorithm))) {
            throw new HsmException(HsmException.Reason.KEY_NOT_ALLOWED, "the key is not on the curve of " + algorithm.wireName());
          }
          publicKey = ecPublicKeyOfPrivate(s, handle, algorithm);
        }
        return new GeneratedKey(algorithm, publicKey, new KeyToken(worldId, wrapIntoToken(s, (byte) 0, handle)));
      } finally {
        destroy(handle);
      }
    }, HsmException.Reason.NOT_A_PRIVATE_KEY, "the key pair does not work");
  }

  @Override
  public byte[] exportPkcs8(KeyRef key) {
    byte[] transferKey = new byte[32];
    random.nextBytes(transferKey);
    try {
      byte[] wrapped = withSession(s -> {
        KeyTokenLayout.Parts parts = checkedParts(s, key);
        if (!parts.extractable() || parts.kek() || parts.custody()) {
          throw new HsmException(HsmException.Reason.NOT_EXTRACTABLE, "the key is not extractable");
        }
        // a copy that may be wrapped under the transfer key, gone with this operation; the loaded key stays non-extractable
        long copy = unwrapFromToken(s, key, parts, Exit.ANY);
        long transfer = p11.C_CreateObject(s, secret(CKK_AES, transferKey, CKA_WRAP));
        try {
          return p11.C_WrapKey(s, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), transfer, copy);
        } finally {
          destroy(transfer);
          destroy(copy);
        }
      }, HsmException.Reason.INTERNAL, "export failed");
      AESWrapPadEngine kwp = new AESWrapPadEngine();
      kwp.init(false, new KeyParameter(transferKey));
      return kwp.unwrap(wrapped, 0, wrapped.length);
    } catch (org.bouncycastle.crypto.InvalidCipherTextException e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "export failed", e);
    } finally {
      Arrays.fill(transferKey, (byte) 0);
    }
  }

  @Override
  public byte[] worldMac(byte[] data) {
    return withSession(s -> {
      p11.C_SignInit(s, new CK_MECHANISM(CKM_SHA256_HMAC), world.mac());
      return p11.C_Sign(s, data);
    }, HsmException.Reason.INTERNAL, "MAC failed");
  }

  @Override
  public KeyToken custody(KeyRef ref) {
    return withSession(s -> {
      KeyTokenLayout.Parts parts = checkedParts(s, ref);
      if (parts.custody() || KeyTokenLayout.formatFor(parts.attributes()) != KeyTokenLayout.CUSTODY_FORMAT) {
        return ref.token();
      }
      long handle = unwrapFromToken(s, ref, parts, Exit.WORLD_ONLY);
      try {
        return new KeyToken(worldId, wrapIntoToken(s, parts.attributes(), handle));
      } finally {
        destroy(handle);
      }
    }, HsmException.Reason.KEY_UNAVAILABLE, "key token cannot be re-wrapped");
  }

  @Override
  public void forget(String kid) {
    synchronized (keys) {
      Loaded removed = keys.remove(kid);
      if (removed != null) {
        destroy(removed.handle());
      }
    }
  }

  private void destroy(long handle) {
    try {
      p11.C_DestroyObject(owner, handle);
    } catch (PKCS11Exception e) {
      // already gone with its session; nothing to free
    }
  }

  @Override
  public void close() {
    synchronized (keys) {
      keys.values().forEach(k -> destroy(k.handle()));
      keys.clear();
    }
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
