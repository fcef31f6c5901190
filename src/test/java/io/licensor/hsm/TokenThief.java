package io.licensor.hsm;

import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

import static sun.security.pkcs11.wrapper.PKCS11Constants.*;

/**
 * The attacker of {@link TokenCustodyTest}, run as a process of its own: it holds the token's user
 * PIN (LICENSOR_THIEF_PIN) and RSA key tokens as the database or a backup package holds them
 * (arguments {@code name=kt1...}), and tries every way the PKCS#11 API offers to take the private
 * keys out: read the world's keys, copy them, unwrap each key token under each of the world's
 * keys as a readable or extractable object, wrap what it got under a key of its own and unwrap
 * that here. For each key token it prints {@code STOLEN name sha256(modulus)} or
 * {@code REFUSED name}; for the world's keys {@code WORLD label readable|unreadable}. It prints
 * no private material.
 */
public final class TokenThief {

  private static final long KWP = 0x210AL;
  private static final long CKA_WRAP_WITH_TRUSTED = 0x210L;
  private static final long CKA_TRUSTED = 0x86L;

  private TokenThief() {
  }

  public static void main(String[] args) throws Exception {
    String library = args[0];
    String worldId = args[1];
    CK_C_INITIALIZE_ARGS init = new CK_C_INITIALIZE_ARGS();
    init.flags = CKF_OS_LOCKING_OK;
    PKCS11 p11 = PKCS11.getInstance(library, "C_GetFunctionList", init, false);
    long slot = p11.C_GetSlotList(true)[0];
    long s = p11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
    p11.C_Login(s, CKU_USER, System.getenv("LICENSOR_THIEF_PIN").toCharArray());

    List<Long> worldKeys = new ArrayList<>();
    p11.C_FindObjectsInit(s, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY)});
    List<Long> all = new ArrayList<>();
    for (long[] batch = p11.C_FindObjects(s, 500); batch.length > 0; batch = p11.C_FindObjects(s, 500)) {
      for (long handle : batch) {
        all.add(handle);
      }
    }
    p11.C_FindObjectsFinal(s);
    for (long handle : all) {
      CK_ATTRIBUTE[] label = {new CK_ATTRIBUTE(CKA_LABEL)};
      p11.C_GetAttributeValue(s, handle, label);
      String name = label[0].pValue instanceof char[] chars ? new String(chars) : "";
      if (!name.startsWith("licensor " + worldId + " ")) {
        continue;
      }
      worldKeys.add(handle);
      boolean readable;
      try {
        CK_ATTRIBUTE[] value = {new CK_ATTRIBUTE(CKA_VALUE)};
        p11.C_GetAttributeValue(s, handle, value);
        readable = value[0].pValue != null;
      } catch (PKCS11Exception e) {
        readable = false;
      }
      boolean copied;
      try {
        p11.C_CopyObject(s, handle, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_TOKEN, false)});
        copied = true;
      } catch (PKCS11Exception e) {
        copied = false;
      }
      System.out.println("WORLD " + name.replace(' ', '_') + " " + (readable ? "readable" : "unreadable") + " "
          + (copied ? "copied" : "uncopied"));
    }
    System.out.println("WORLD-KEYS " + worldKeys.size());

    // a wrapping key of the thief's own, whose value it knows
    byte[] mine = new byte[32];
    new SecureRandom().nextBytes(mine);
    long own = p11.C_CreateObject(s, new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_AES), new CK_ATTRIBUTE(CKA_VALUE, mine),
        new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_SENSITIVE, false), new CK_ATTRIBUTE(CKA_EXTRACTABLE, true),
        new CK_ATTRIBUTE(CKA_WRAP, true)});
    boolean ownTrusted;
    try {
      p11.C_SetAttributeValue(s, own, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_TRUSTED, true)});
      ownTrusted = true;
    } catch (PKCS11Exception e) {
      ownTrusted = false;
    }
    System.out.println("OWN-KEY " + (ownTrusted ? "trusted" : "untrusted"));

    for (int i = 2; i < args.length; i++) {
      String name = args[i].substring(0, args[i].indexOf('='));
      String[] parts = args[i].substring(name.length() + 1).split("\\.");
      byte[] token = Base64.getUrlDecoder().decode(parts[2]);
      byte[] wrapped = Arrays.copyOfRange(token, 34, token.length);
      String stolen = null;
      for (long unwrapper : worldKeys) {
        for (boolean sensitive : new boolean[] {false, true}) {
          stolen = steal(p11, s, unwrapper, wrapped, sensitive, own, mine);
          if (stolen != null) {
            break;
          }
        }
        if (stolen != null) {
          break;
        }
      }
      System.out.println(stolen != null ? "STOLEN " + name + " " + stolen : "REFUSED " + name);
    }
  }

  /** One try: unwrap as readable (or as extractable to any key), then read it or wrap it out. */
  private static String steal(PKCS11 p11, long s, long unwrapper, byte[] wrapped, boolean sensitive, long own, byte[] mine) {
    long key;
    try {
      key = p11.C_UnwrapKey(s, new CK_MECHANISM(KWP), unwrapper, wrapped, new CK_ATTRIBUTE[] {
          new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_RSA), new CK_ATTRIBUTE(CKA_TOKEN, false),
          new CK_ATTRIBUTE(CKA_PRIVATE, true), new CK_ATTRIBUTE(CKA_SENSITIVE, sensitive), new CK_ATTRIBUTE(CKA_EXTRACTABLE, true),
          new CK_ATTRIBUTE(CKA_WRAP_WITH_TRUSTED, false), new CK_ATTRIBUTE(CKA_SIGN, true)});
    } catch (PKCS11Exception e) {
      return null;
    }
    try {
      if (!sensitive) {
        CK_ATTRIBUTE[] modulus = {new CK_ATTRIBUTE(CKA_MODULUS), new CK_ATTRIBUTE(CKA_PRIVATE_EXPONENT)};
        p11.C_GetAttributeValue(s, key, modulus);
        if (modulus[1].pValue != null) {
          return fingerprint(modulus[0].getBigInteger());
        }
      }
      byte[] out = p11.C_WrapKey(s, new CK_MECHANISM(KWP), own, key);
      Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding");
      kwp.init(Cipher.DECRYPT_MODE, new SecretKeySpec(mine, "AES"));
      byte[] pkcs8 = kwp.doFinal(out);
      RSAPrivateCrtKey rsa = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      return fingerprint(rsa.getModulus());
    } catch (Exception e) {
      return null;
    }
  }

  static String fingerprint(BigInteger modulus) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(modulus.toByteArray()));
  }
}
