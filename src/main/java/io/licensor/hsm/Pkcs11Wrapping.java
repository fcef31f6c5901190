package io.licensor.hsm;

import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

import static sun.security.pkcs11.wrapper.PKCS11Constants.*;

/**
 * Key tokens on the token: a private key object wrapped (C_WrapKey, AES-KWP) under the world key
 * or the custody key into a key token of {@link KeyTokenLayout}, tagged by the world's tag key;
 * a key token checked and unwrapped again into a session object; and the templates that say how
 * each such object may leave the token.
 */
final class Pkcs11Wrapping {

  private static final long CKM_AES_KEY_WRAP_PAD = Pkcs11World.CKM_AES_KEY_WRAP_PAD;

  private final PKCS11 p11;
  private final Pkcs11Sessions sessions;
  private final String worldId;

  Pkcs11Wrapping(Pkcs11Sessions sessions, String worldId) {
    this.p11 = sessions.p11;
    this.sessions = sessions;
    this.worldId = worldId;
  }

  /** A session object of a secret key (a transfer key, made here and gone with the operation). */
  static CK_ATTRIBUTE[] secret(long keyType, byte[] value, long... usages) {
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


  /** A key token of {@link KeyTokenLayout}: the key wrapped on the token under the world key or the custody key, tagged there. */
  byte[] wrapIntoToken(long s, byte attributes, long privateKey) throws PKCS11Exception {
    byte format = KeyTokenLayout.formatFor(attributes);
    byte[] wrapped = p11.C_WrapKey(s, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), wrappingKey(format), privateKey);
    return KeyTokenLayout.assemble(format, attributes, tag(s, format, attributes, wrapped), wrapped);
  }

  private long wrappingKey(byte format) {
    return format == KeyTokenLayout.CUSTODY_FORMAT ? sessions.world().custody() : sessions.world().wrap();
  }

  /** How a private key object may leave the token. */
  enum Exit {
    /** Not at all: a key token loaded for use. */
    NONE,
    /** Only to be wrapped into its key token (under the world's keys alone, when they are trusted): a key being made or imported. */
    WORLD_ONLY,
    /** Wrapped under any key: the short-lived copy an export of a service-generated key makes. */
    ANY
  }

  /** Private and sensitive (never readable in the clear), and leaving the token only as {@code exit} says. */
  CK_ATTRIBUTE[] privateTemplate(long keyType, boolean kek, Exit exit) {
    List<CK_ATTRIBUTE> t = new ArrayList<>(List.of(
        new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, keyType),
        new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_PRIVATE, true), new CK_ATTRIBUTE(CKA_SENSITIVE, true),
        new CK_ATTRIBUTE(CKA_EXTRACTABLE, exit != Exit.NONE),
        new CK_ATTRIBUTE(CKA_SIGN, !kek),
        new CK_ATTRIBUTE(keyType == CKK_RSA ? CKA_DECRYPT : CKA_DERIVE, true)));
    if (exit != Exit.NONE && sessions.world().trusted()) {
      t.add(new CK_ATTRIBUTE(Pkcs11World.CKA_WRAP_WITH_TRUSTED, exit == Exit.WORLD_ONLY));
    }
    return t.toArray(new CK_ATTRIBUTE[0]);
  }

  private byte[] tag(long s, byte format, byte attributes, byte[] wrapped) throws PKCS11Exception {
    p11.C_SignInit(s, new CK_MECHANISM(CKM_SHA256_HMAC), sessions.world().tag());
    return p11.C_Sign(s, KeyTokenLayout.tagInput(format, attributes, wrapped));
  }

  /** A key token's parts, its tag checked on the token. */
  KeyTokenLayout.Parts checkedParts(long s, KeyRef ref) throws PKCS11Exception {
    KeyTokenLayout.Parts parts = KeyTokenLayout.parse(ref, worldId);
    if (!MessageDigest.isEqual(tag(s, parts.format(), parts.attributes(), parts.wrapped()), parts.tag())) {
      throw KeyTokenLayout.altered();
    }
    return parts;
  }

  /** The key of a (checked) key token as a session object that leaves the token only as {@code exit} says. */
  long unwrapFromToken(long s, KeyRef ref, KeyTokenLayout.Parts parts, Exit exit) throws PKCS11Exception {
    try {
      return p11.C_UnwrapKey(s, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), wrappingKey(parts.format()), parts.wrapped(),
          privateTemplate(ref.algorithm().isRsa() ? CKK_RSA : CKK_EC, parts.kek(), exit));
    } catch (PKCS11Exception e) {
      if (Pkcs11Sessions.sessionsLost(e)) {
        throw e;
      }
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key token does not unwrap under this world");
    }
  }
}
