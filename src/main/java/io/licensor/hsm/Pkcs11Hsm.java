package io.licensor.hsm;

import io.licensor.world.WorldKey;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESWrapPadEngine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.math.ec.ECPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.CK_RSA_PKCS_PSS_PARAMS;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

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
 * {@code Pkcs11World.CKA_WRAP_WITH_TRUSTED}: it can leave the token only wrapped under the world's own keys.
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

  private static final long CKM_AES_KEY_WRAP_PAD = Pkcs11World.CKM_AES_KEY_WRAP_PAD;
  private static final byte EXTRACTABLE = KeyTokenLayout.EXTRACTABLE;
  private static final byte KEK = KeyTokenLayout.KEK;

  private static final Logger LOG = LoggerFactory.getLogger(Pkcs11Hsm.class);

  private final Pkcs11Sessions sessions;
  private final PKCS11 p11;
  private final Pkcs11Ec ec;
  private final Pkcs11Wrapping wrapping;
  private final String worldId;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Loaded> keys;

  private record Loaded(KeyToken token, long handle, boolean kek) {
  }

  /** Delegated signing keys: session objects on the token (gone with the sessions), by handle name. */
  private final Map<String, Long> signingKeys = new ConcurrentHashMap<>();
  private final AtomicLong signingKeyNames = new AtomicLong();

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
    this.worldId = worldId;
    this.keys = new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Loaded> eldest) {
        if (size() > keyCacheSize) {
          sessions.destroy(eldest.getValue().handle());
          return true;
        }
        return false;
      }
    };
    this.sessions = new Pkcs11Sessions(library, slotListIndex, pin, soPin, world, worldId, sessionCount, random, () -> {
      synchronized (keys) {
        keys.clear();
      }
      signingKeys.clear();
    });
    this.p11 = sessions.p11;
    this.ec = new Pkcs11Ec(sessions, random);
    this.wrapping = new Pkcs11Wrapping(sessions, worldId);
    if (sessions.world().trusted()) {
      LOG.info("security world {} is on the PKCS#11 token; its wrapping keys are trusted: tenant keys leave the token only "
          + "wrapped under them, BYOK keys never", worldId);
    } else {
      LOG.warn("security world {} is on the PKCS#11 token, its wrapping keys untrusted (enrolled without the SO PIN): BYOK keys "
          + "never leave the token, but a key being made could be wrapped under another key by code holding the user PIN. "
          + "Enrol the world on a new token with LICENSOR_HSM_PKCS11_SO_PIN set to make them trusted", worldId);
    }
  }

  /** Whether the world's wrapping keys on the token are trusted (enrolled with the SO PIN). */
  public boolean trustedWrapping() {
    return sessions.world().trusted();
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
    return sessions.withSession(s -> {
      long[] pair = generatePair(s, algorithm, kek);
      try {
        PublicKey publicKey = ec.publicKeyOf(s, pair[0], algorithm);
        return new GeneratedKey(algorithm, publicKey, new KeyToken(worldId, wrapping.wrapIntoToken(s, attributes, pair[1])));
      } finally {
        sessions.destroy(pair[0]);
        sessions.destroy(pair[1]);
      }
    }, HsmException.Reason.INTERNAL, failure);
  }

  private long[] generatePair(long s, KeyAlgorithm algorithm, boolean kek) throws PKCS11Exception {
    if (algorithm.isRsa()) {
      CK_ATTRIBUTE[] pub = {
          new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_MODULUS_BITS, (long) algorithm.bits()),
          new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, BigInteger.valueOf(65537)), new CK_ATTRIBUTE(CKA_VERIFY, true),
          new CK_ATTRIBUTE(CKA_ENCRYPT, true)};
      return p11.C_GenerateKeyPair(s, new CK_MECHANISM(CKM_RSA_PKCS_KEY_PAIR_GEN), pub, wrapping.privateTemplate(CKK_RSA, kek, Pkcs11Wrapping.Exit.WORLD_ONLY));
    }
    CK_ATTRIBUTE[] pub = {
        new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_EC_PARAMS, Pkcs11Ec.oid(algorithm)), new CK_ATTRIBUTE(CKA_VERIFY, true)};
    return p11.C_GenerateKeyPair(s, new CK_MECHANISM(CKM_EC_KEY_PAIR_GEN), pub, wrapping.privateTemplate(CKK_EC, false, Pkcs11Wrapping.Exit.WORLD_ONLY));
  }

  private Loaded loaded(long s, KeyRef ref) throws PKCS11Exception {
    synchronized (keys) {
      Loaded cached = keys.get(ref.kid());
      if (cached != null && cached.token().equals(ref.token())) {
        return cached;
      }
    }
    KeyTokenLayout.Parts parts = wrapping.checkedParts(s, ref);
    long handle = wrapping.unwrapFromToken(s, ref, parts, Pkcs11Wrapping.Exit.NONE);
    Loaded loaded = new Loaded(ref.token(), handle, parts.kek());
    synchronized (keys) {
      Loaded previous = keys.put(ref.kid(), loaded);
      if (previous != null && previous.handle() != handle) {
        sessions.destroy(previous.handle());
      }
    }
    return loaded;
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
    return sessions.withSession(s -> {
      Loaded k = tenantKey(s, key);
      if (key.algorithm().isRsa()) {
        return ec.publicKeyOfPrivate(s, k.handle());
      }
      return ec.ecPublicKeyOfPrivate(s, k.handle(), key.algorithm());
    }, HsmException.Reason.KEY_UNAVAILABLE, "key token does not hold a usable key");
  }

  @Override
  public byte[] decryptOaepSha256(KeyRef key, byte[] ciphertext) {
    if (!key.algorithm().isRsa()) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key is not an RSA key");
    }
    return sessions.withSession(s -> {
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
    return sessions.withSession(s -> {
      Loaded k = tenantKey(s, key);
      ECParameterSpec params = Pkcs11Ec.params(key.algorithm());
      if (!params.getCurve().equals(peer.getParams().getCurve())) {
        throw new HsmException(HsmException.Reason.BAD_INPUT, "peer key is on another curve");
      }
      ECPoint point = EC5Util.convertPoint(EC5Util.convertCurve(params.getCurve()), peer.getW());
      return ec.derive(s, k.handle(), point.getEncoded(false), Pkcs11Ec.fieldBytes(key.algorithm()));
    }, HsmException.Reason.BAD_INPUT, "invalid peer key");
  }

  @Override
  public byte[] sign(KeyRef key, byte[] signingInput) {
    return sessions.withSession(s -> {
      Loaded k = tenantKey(s, key);
      if (key.algorithm().isRsa()) {
        CK_MECHANISM pss = new CK_MECHANISM(CKM_SHA256_RSA_PKCS_PSS);
        pss.setParameter(new CK_RSA_PKCS_PSS_PARAMS("SHA-256", "MGF1", "SHA-256", 32));
        p11.C_SignInit(s, pss, k.handle());
        return p11.C_Sign(s, signingInput);
      }
      return ec.signEc(s, k.handle(), key.algorithm(), signingInput);
    }, HsmException.Reason.INTERNAL, "signing error");
  }

  /**
   * An EC P-256 pair made on the token as session objects: the private half sensitive and
   * non-extractable, usable only to sign; the public object is dropped once its point is read.
   */
  @Override
  public SigningKeyHandle generateSigningKey() {
    return sessions.withSession(s -> {
      CK_ATTRIBUTE[] pub = {new CK_ATTRIBUTE(CKA_TOKEN, false),
          new CK_ATTRIBUTE(CKA_EC_PARAMS, Pkcs11Ec.oid(KeyAlgorithm.EC_P256)), new CK_ATTRIBUTE(CKA_VERIFY, true)};
      CK_ATTRIBUTE[] priv = {new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_EC),
          new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_PRIVATE, true), new CK_ATTRIBUTE(CKA_SENSITIVE, true),
          new CK_ATTRIBUTE(CKA_EXTRACTABLE, false), new CK_ATTRIBUTE(CKA_SIGN, true), new CK_ATTRIBUTE(CKA_DERIVE, false)};
      long[] pair = p11.C_GenerateKeyPair(s, new CK_MECHANISM(CKM_EC_KEY_PAIR_GEN), pub, priv);
      try {
        ECPublicKey publicKey = (ECPublicKey) ec.publicKeyOf(s, pair[0], KeyAlgorithm.EC_P256);
        String name = "sk-" + signingKeyNames.incrementAndGet();
        signingKeys.put(name, pair[1]);
        return new SigningKeyHandle(name, publicKey);
      } catch (RuntimeException | GeneralSecurityException e) {
        sessions.destroy(pair[1]);
        throw e;
      } finally {
        sessions.destroy(pair[0]);
      }
    }, HsmException.Reason.INTERNAL, "signing key generation failed");
  }

  @Override
  public byte[] signWithSigningKey(String handle, byte[] signingInput) {
    Long object = signingKeys.get(handle);
    if (object == null) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "no such signing key on this token");
    }
    return sessions.withSession(s -> ec.signEc(s, object, KeyAlgorithm.EC_P256, signingInput),
        HsmException.Reason.KEY_UNAVAILABLE, "the signing key is not usable");
  }

  @Override
  public void destroySigningKey(String handle) {
    Long object = signingKeys.remove(handle);
    if (object != null) {
      sessions.destroy(object);
    }
  }

  @Override
  public GeneratedKey importPrivateKey(KeyAlgorithm algorithm, byte[] pkcs8) {
    Pkcs8Keys.check(algorithm, pkcs8);
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
    byte[] aesKey = sessions.withSession(s -> {
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
    return sessions.withSession(s -> {
      long transfer = p11.C_CreateObject(s, Pkcs11Wrapping.secret(CKK_AES, aesKey, CKA_UNWRAP));
      long handle;
      try {
        handle = p11.C_UnwrapKey(s, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), transfer, wrapped,
            wrapping.privateTemplate(algorithm.isRsa() ? CKK_RSA : CKK_EC, false, Pkcs11Wrapping.Exit.WORLD_ONLY));
      } catch (PKCS11Exception e) {
        throw new HsmException(onUnwrap, "the private key does not unwrap as a " + algorithm.wireName() + " key");
      } finally {
        sessions.destroy(transfer);
      }
      try {
        PublicKey publicKey;
        if (algorithm.isRsa()) {
          publicKey = ec.publicKeyOfPrivate(s, handle);
          int bits = ((RSAPublicKey) publicKey).getModulus().bitLength();
          if (bits != algorithm.bits()) {
            throw new HsmException(HsmException.Reason.KEY_NOT_ALLOWED, "the key is RSA-" + bits + ", not " + algorithm.wireName());
          }
        } else {
          CK_ATTRIBUTE[] a = {new CK_ATTRIBUTE(CKA_EC_PARAMS)};
          p11.C_GetAttributeValue(s, handle, a);
          if (!Arrays.equals(a[0].getByteArray(), Pkcs11Ec.oid(algorithm))) {
            throw new HsmException(HsmException.Reason.KEY_NOT_ALLOWED, "the key is not on the curve of " + algorithm.wireName());
          }
          publicKey = ec.ecPublicKeyOfPrivate(s, handle, algorithm);
        }
        return new GeneratedKey(algorithm, publicKey, new KeyToken(worldId, wrapping.wrapIntoToken(s, (byte) 0, handle)));
      } finally {
        sessions.destroy(handle);
      }
    }, HsmException.Reason.NOT_A_PRIVATE_KEY, "the key pair does not work");
  }

  @Override
  public byte[] exportPkcs8(KeyRef key) {
    byte[] transferKey = new byte[32];
    random.nextBytes(transferKey);
    try {
      byte[] wrapped = sessions.withSession(s -> {
        KeyTokenLayout.Parts parts = wrapping.checkedParts(s, key);
        if (!parts.extractable() || parts.kek() || parts.custody()) {
          throw new HsmException(HsmException.Reason.NOT_EXTRACTABLE, "the key is not extractable");
        }
        // a copy that may be wrapped under the transfer key, gone with this operation; the loaded key stays non-extractable
        long copy = wrapping.unwrapFromToken(s, key, parts, Pkcs11Wrapping.Exit.ANY);
        long transfer = p11.C_CreateObject(s, Pkcs11Wrapping.secret(CKK_AES, transferKey, CKA_WRAP));
        try {
          return p11.C_WrapKey(s, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), transfer, copy);
        } finally {
          sessions.destroy(transfer);
          sessions.destroy(copy);
        }
      }, HsmException.Reason.INTERNAL, "export failed");
      AESWrapPadEngine kwp = new AESWrapPadEngine();
      kwp.init(false, new KeyParameter(transferKey));
      return kwp.unwrap(wrapped, 0, wrapped.length);
    } catch (InvalidCipherTextException e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "export failed", e);
    } finally {
      Arrays.fill(transferKey, (byte) 0);
    }
  }

  @Override
  public byte[] worldMac(byte[] data) {
    return sessions.withSession(s -> {
      p11.C_SignInit(s, new CK_MECHANISM(CKM_SHA256_HMAC), sessions.world().mac());
      return p11.C_Sign(s, data);
    }, HsmException.Reason.INTERNAL, "MAC failed");
  }

  @Override
  public KeyToken custody(KeyRef ref) {
    return sessions.withSession(s -> {
      KeyTokenLayout.Parts parts = wrapping.checkedParts(s, ref);
      if (parts.custody() || KeyTokenLayout.formatFor(parts.attributes()) != KeyTokenLayout.CUSTODY_FORMAT) {
        return ref.token();
      }
      long handle = wrapping.unwrapFromToken(s, ref, parts, Pkcs11Wrapping.Exit.WORLD_ONLY);
      try {
        return new KeyToken(worldId, wrapping.wrapIntoToken(s, parts.attributes(), handle));
      } finally {
        sessions.destroy(handle);
      }
    }, HsmException.Reason.KEY_UNAVAILABLE, "key token cannot be re-wrapped");
  }

  @Override
  public void forget(String kid) {
    synchronized (keys) {
      Loaded removed = keys.remove(kid);
      if (removed != null) {
        sessions.destroy(removed.handle());
      }
    }
  }

  @Override
  public void close() {
    synchronized (keys) {
      keys.values().forEach(k -> sessions.destroy(k.handle()));
      keys.clear();
    }
    signingKeys.values().forEach(sessions::destroy);
    signingKeys.clear();
    // the world's objects stay on the token: they are the world, for the next start
    sessions.close();
  }
}
