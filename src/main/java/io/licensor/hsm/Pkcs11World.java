package io.licensor.hsm;

import io.licensor.world.WorldKey;
import org.bouncycastle.crypto.engines.AESWrapPadEngine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import static sun.security.pkcs11.wrapper.PKCS11Constants.*;

/**
 * The security world on a PKCS#11 token: four persistent objects, found by label (the world key
 * and the custody key derived from it, AES, wrap and unwrap only; the key-token tag key and the
 * backup MAC key, HMAC), all sensitive and never extractable, modifiable, copyable or destroyable.
 * Made once from the module key (enrolment, as trusted keys when the SO PIN is given) and checked
 * against it whenever it is at hand. {@code trusted}: the wrapping keys are CKA_TRUSTED.
 */
record Pkcs11World(long wrap, long custody, long tag, long mac, boolean trusted) {

  static final long CKM_AES_KEY_WRAP_PAD = 0x210AL;
  static final long CKA_TRUSTED = 0x86L;
  static final long CKA_WRAP_WITH_TRUSTED = 0x210L;
  private static final long CKA_UNWRAP_TEMPLATE = 0x40000212L;
  private static final long CKA_COPYABLE = 0x171L;
  private static final long CKA_DESTROYABLE = 0x172L;

  private static final Logger LOG = LoggerFactory.getLogger(Pkcs11World.class);

  /** The world's four objects on the token, by their label's last word. */
  private enum WorldObject {
    WRAP, CUSTODY, TAG, MAC;

    char[] label(String worldId) {
      return ("licensor " + worldId + " " + name().toLowerCase(Locale.ROOT)).toCharArray();
    }
  }

  /**
   * Finds the world's objects on the token through {@code owner} (a session logged in as the
   * user); with {@code enrolFrom}, enrols the missing ones from the module key first and checks
   * all four against it. Without it, a token that does not hold the whole world is an error.
   */
  static Pkcs11World open(PKCS11 p11, long owner, char[] pin, String worldId, WorldKey enrolFrom, char[] soPin,
                          SecureRandom random) throws PKCS11Exception {
    Opener o = new Opener(p11, owner, pin, worldId, random);
    Map<WorldObject, Long> found = o.find(owner);
    if (found.size() < WorldObject.values().length) {
      if (enrolFrom == null) {
        throw new HsmException(HsmException.Reason.INTERNAL, "the PKCS#11 token does not hold security world " + worldId
            + (found.isEmpty() ? "" : " whole (missing: " + missing(found) + ")")
            + "; start the node with the world's module key in its data directory to enrol it");
      }
      o.enrol(enrolFrom, soPin, found);
      found = o.find(owner);
    }
    Pkcs11World objects = new Pkcs11World(found.get(WorldObject.WRAP), found.get(WorldObject.CUSTODY),
        found.get(WorldObject.TAG), found.get(WorldObject.MAC), o.trusted(found.get(WorldObject.WRAP)));
    if (enrolFrom != null) {
      o.check(objects, enrolFrom);
    }
    return objects;
  }

  /** Logs in as {@code userType}; a session already logged in is fine. */
  static void login(PKCS11 p11, long session, long userType, char[] secret) throws PKCS11Exception {
    try {
      p11.C_Login(session, userType, secret);
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() != PKCS11Exception.CKR_USER_ALREADY_LOGGED_IN) {
        throw e;
      }
    }
  }

  private static String missing(Map<WorldObject, Long> found) {
    return Arrays.stream(WorldObject.values()).filter(o -> !found.containsKey(o))
        .map(o -> o.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
  }

  /** What finding, enrolling and checking the world need: the token, the owner session, the PINs. */
  private record Opener(PKCS11 p11, long owner, char[] pin, String worldId, SecureRandom random) {

    private void login(long session, long userType, char[] secret) throws PKCS11Exception {
      Pkcs11World.login(p11, session, userType, secret);
    }

    private void destroy(long handle) {
      try {
        p11.C_DestroyObject(owner, handle);
      } catch (PKCS11Exception e) {
        // already gone
      }
    }

    private Map<WorldObject, Long> find(long session) throws PKCS11Exception {
      Map<WorldObject, Long> found = new EnumMap<>(WorldObject.class);
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
      List<CK_ATTRIBUTE> t = new ArrayList<>(List.of(
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
    private void check(Pkcs11World objects, WorldKey from) throws PKCS11Exception {
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
  }
}
