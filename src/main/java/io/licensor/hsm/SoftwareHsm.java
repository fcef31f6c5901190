package io.licensor.hsm;

import io.licensor.world.WorldKey;
import io.vertx.core.Context;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESWrapPadEngine;
import org.bouncycastle.crypto.params.KeyParameter;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * The software HSM (the default): JCA for the key operations, on a native provider where the
 * platform has one ({@link SoftwareCrypto}), BouncyCastle's AES-KWP for key tokens. Unwrapped private keys are kept in a bounded LRU cache keyed by kid; the world key and
 * the private keys never leave this class.
 */
public final class SoftwareHsm implements Hsm {

  private static final OAEPParameterSpec OAEP_SHA256 =
      new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
  private static final PSSParameterSpec PSS_SHA256 =
      new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);

  private final SoftwareCrypto crypto;
  private final String worldId;
  private final byte[] worldKey;
  /** Keys derived once from the world key: key-token tags, backup-package MACs. */
  private final byte[] tagKey;
  private final byte[] backupMacKey;
  /** Wraps the keys that never leave the module (BYOK versions, KEKs): see {@link KeyTokenLayout}. */
  private final byte[] custodyKey;
  private final SecureRandom random = new SecureRandom();
  private final KeyCache<Loaded> keys;

  private record Loaded(KeyToken token, PrivateKey privateKey, PublicKey publicKey, boolean extractable, boolean kek) {
  }

  /** Delegated signing keys, by handle name: in this module's memory only, never in a key token. */
  private final Map<String, PrivateKey> signingKeys = new ConcurrentHashMap<>();
  private final AtomicLong signingKeyNames = new AtomicLong();

  // Key tokens: see KeyTokenLayout (shared with the PKCS#11 HSM, whose C_UnwrapKey takes the wrap).
  private static final byte EXTRACTABLE = KeyTokenLayout.EXTRACTABLE;
  /** Attribute bit 1: a key-exchange key, usable only to import BYOK transfers. */
  private static final byte KEK = KeyTokenLayout.KEK;

  /** On the JDK's providers. */
  public SoftwareHsm(WorldKey world, int keyCacheSize) {
    this(world, keyCacheSize, SoftwareCrypto.jdk());
  }

  /** On {@code crypto}'s provider (see {@link SoftwareCrypto}). */
  public SoftwareHsm(WorldKey world, int keyCacheSize, SoftwareCrypto crypto) {
    this.crypto = crypto;
    this.worldId = world.worldId();
    this.worldKey = world.secretBytesForHsm();
    this.tagKey = KeyTokenLayout.derive(worldKey, KeyTokenLayout.TAG_KEY_LABEL);
    this.backupMacKey = KeyTokenLayout.derive(worldKey, KeyTokenLayout.BACKUP_MAC_LABEL);
    this.custodyKey = KeyTokenLayout.derive(worldKey, KeyTokenLayout.CUSTODY_KEY_LABEL);
    this.keys = new KeyCache<>(keyCacheSize);
  }

  /** Which provider does the key operations. */
  public SoftwareCrypto crypto() {
    return crypto;
  }

  @Override
  public String worldId() {
    return worldId;
  }

  @Override
  public GeneratedKey generate(KeyAlgorithm algorithm) {
    requireWorkerThread();
    try {
      KeyPairGenerator generator;
      if (algorithm.isRsa()) {
        generator = crypto.generator("RSA");
        generator.initialize(new RSAKeyGenParameterSpec(algorithm.bits(), RSAKeyGenParameterSpec.F4), random);
      } else {
        generator = crypto.generator("EC");
        generator.initialize(new ECGenParameterSpec(algorithm.curve()), random);
      }
      KeyPair pair = generator.generateKeyPair();
      byte[] pkcs8 = pair.getPrivate().getEncoded();
      try {
        return new GeneratedKey(algorithm, pair.getPublic(), new KeyToken(worldId, wrap(pkcs8, true)));
      } finally {
        Arrays.fill(pkcs8, (byte) 0);
      }
    } catch (GeneralSecurityException e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "key generation failed", e);
    }
  }

  @Override
  public GeneratedKey importPrivateKey(KeyAlgorithm algorithm, byte[] pkcs8) {
    requireWorkerThread();
    return importChecked(algorithm, pkcs8);
  }

  private GeneratedKey importChecked(KeyAlgorithm algorithm, byte[] pkcs8) {
    PublicKey publicKey = Pkcs8Keys.check(algorithm, pkcs8);
    return new GeneratedKey(algorithm, publicKey, new KeyToken(worldId, wrap(pkcs8, false)));
  }

  @Override
  public GeneratedKey generateKek() {
    requireWorkerThread();
    try {
      KeyPairGenerator generator = crypto.generator("RSA");
      generator.initialize(new RSAKeyGenParameterSpec(4096, RSAKeyGenParameterSpec.F4), random);
      KeyPair pair = generator.generateKeyPair();
      byte[] pkcs8 = pair.getPrivate().getEncoded();
      try {
        return new GeneratedKey(KeyAlgorithm.RSA_4096, pair.getPublic(), new KeyToken(worldId, wrap(pkcs8, KEK)));
      } finally {
        Arrays.fill(pkcs8, (byte) 0);
      }
    } catch (GeneralSecurityException e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "KEK generation failed", e);
    }
  }

  @Override
  public GeneratedKey importTransfer(KeyRef kekRef, byte[] ciphertext, String oaepHash, KeyAlgorithm algorithm) {
    requireWorkerThread();
    Loaded kek = loadedAny(kekRef);
    if (!kek.kek()) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "not a key-exchange key");
    }
    int modulusBytes = (((RSAPrivateKey) kek.privateKey()).getModulus().bitLength() + 7) / 8;
    if (ciphertext.length <= modulusBytes + 16) {
      throw new HsmException(HsmException.Reason.TRANSFER_UNWRAP_FAILED, "the ciphertext is too short for this KEK");
    }
    byte[] aesKey;
    try {
      MGF1ParameterSpec mgf = "SHA-256".equals(oaepHash) ? MGF1ParameterSpec.SHA256 : MGF1ParameterSpec.SHA1;
      Cipher cipher = crypto.cipher("RSA/ECB/OAEPPadding");
      cipher.init(Cipher.DECRYPT_MODE, kek.privateKey(),
          new OAEPParameterSpec(oaepHash, "MGF1", mgf, PSource.PSpecified.DEFAULT));
      aesKey = cipher.doFinal(ciphertext, 0, modulusBytes);
    } catch (GeneralSecurityException e) {
      throw new HsmException(HsmException.Reason.TRANSFER_UNWRAP_FAILED,
          "the AES key does not unwrap with this KEK (wrong oaep_hash, a file for another KEK, or a corrupt ciphertext)");
    }
    byte[] pkcs8 = null;
    try {
      if (aesKey.length != 32) {
        throw new HsmException(HsmException.Reason.TRANSFER_UNWRAP_FAILED, "the wrapped AES key is not 256 bits");
      }
      AESWrapPadEngine engine = new AESWrapPadEngine();
      engine.init(false, new KeyParameter(aesKey));
      try {
        pkcs8 = engine.unwrap(ciphertext, modulusBytes, ciphertext.length - modulusBytes);
      } catch (InvalidCipherTextException e) {
        throw new HsmException(HsmException.Reason.TRANSFER_UNWRAP_FAILED, "the private key does not unwrap (corrupt ciphertext)");
      }
      return importChecked(algorithm, pkcs8);
    } finally {
      Arrays.fill(aesKey, (byte) 0);
      if (pkcs8 != null) {
        Arrays.fill(pkcs8, (byte) 0);
      }
    }
  }

  @Override
  public byte[] exportPkcs8(KeyRef key) {
    requireWorkerThread();
    Loaded k = loaded(key);
    if (!k.extractable()) {
      throw new HsmException(HsmException.Reason.NOT_EXTRACTABLE, "the key is not extractable");
    }
    return k.privateKey().getEncoded();
  }

  @Override
  public PublicKey load(KeyRef key) {
    requireWorkerThread();
    Loaded k = loaded(key);
    if (k.publicKey() != null) {
      return k.publicKey();
    }
    try {
      return Pkcs8Keys.publicOf(k.privateKey(), key.algorithm());
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key token does not hold a usable key");
    }
  }

  @Override
  public byte[] decryptOaepSha256(KeyRef key, byte[] ciphertext) {
    requireWorkerThread();
    Loaded k = loaded(key);
    if (!key.algorithm().isRsa()) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key is not an RSA key");
    }
    try {
      Cipher cipher = crypto.cipher("RSA/ECB/OAEPPadding");
      cipher.init(Cipher.DECRYPT_MODE, k.privateKey(), OAEP_SHA256);
      return cipher.doFinal(ciphertext);
    } catch (BadPaddingException | IllegalBlockSizeException e) {
      throw new HsmException(HsmException.Reason.BAD_INPUT, "decryption failed");
    } catch (GeneralSecurityException e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "decryption error", e);
    }
  }

  @Override
  public byte[] agree(KeyRef key, ECPublicKey peer) {
    requireWorkerThread();
    Loaded k = loaded(key);
    if (!(k.privateKey() instanceof ECPrivateKey priv)) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key is not an EC key");
    }
    if (!priv.getParams().getCurve().equals(peer.getParams().getCurve())) {
      throw new HsmException(HsmException.Reason.BAD_INPUT, "peer key is on another curve");
    }
    try {
      KeyAgreement agreement = crypto.agreement("ECDH");
      agreement.init(priv);
      agreement.doPhase(peer, true);
      return agreement.generateSecret();
    } catch (InvalidKeyException e) {
      throw new HsmException(HsmException.Reason.BAD_INPUT, "invalid peer key");
    } catch (GeneralSecurityException e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "key agreement error", e);
    }
  }

  @Override
  public byte[] sign(KeyRef key, byte[] signingInput) {
    requireWorkerThread();
    Loaded k = loaded(key);
    try {
      Signature signature;
      switch (key.algorithm().jwsAlgorithm()) {
        case "PS256" -> {
          signature = crypto.signature("RSASSA-PSS");
          signature.setParameter(PSS_SHA256);
        }
        // r || s as JOSE has it (RFC 7518 §3.4), not DER
        case "ES256" -> signature = crypto.signature("SHA256withECDSAinP1363Format");
        case "ES384" -> signature = crypto.signature("SHA384withECDSAinP1363Format");
        default -> throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "no signature algorithm");
      }
      signature.initSign(k.privateKey(), random);
      signature.update(signingInput);
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "signing error", e);
    }
  }

  @Override
  public SigningKeyHandle generateSigningKey() {
    requireWorkerThread();
    try {
      KeyPairGenerator generator = crypto.generator("EC");
      generator.initialize(new ECGenParameterSpec(KeyAlgorithm.EC_P256.curve()), random);
      KeyPair pair = generator.generateKeyPair();
      String name = "sk-" + signingKeyNames.incrementAndGet();
      signingKeys.put(name, pair.getPrivate());
      return new SigningKeyHandle(name, (ECPublicKey) pair.getPublic());
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "signing key generation failed", e);
    }
  }

  @Override
  public byte[] signWithSigningKey(String handle, byte[] signingInput) {
    requireWorkerThread();
    PrivateKey key = signingKeys.get(handle);
    if (key == null) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "no such signing key in this module");
    }
    try {
      Signature signature = crypto.signature("SHA256withECDSAinP1363Format");
      signature.initSign(key, random);
      signature.update(signingInput);
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "signing error", e);
    }
  }

  @Override
  public void destroySigningKey(String handle) {
    signingKeys.remove(handle);
  }

  @Override
  public byte[] worldMac(byte[] data) {
    requireWorkerThread();
    return KeyTokenLayout.hmacSha256(backupMacKey, data);
  }

  @Override
  public KeyToken custody(KeyRef ref) {
    requireWorkerThread();
    KeyTokenLayout.Parts parts = checkedParts(ref);
    if (parts.custody() || KeyTokenLayout.formatFor(parts.attributes()) != KeyTokenLayout.CUSTODY_FORMAT) {
      return ref.token();
    }
    byte[] pkcs8 = unwrap(worldKey, parts.wrapped());
    try {
      return new KeyToken(worldId, wrap(pkcs8, parts.attributes()));
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
  }

  @Override
  public synchronized void forget(String kid) {
    keys.remove(kid);
  }

  @Override
  public synchronized void close() {
    keys.clear();
    signingKeys.clear();
    Arrays.fill(worldKey, (byte) 0);
    Arrays.fill(tagKey, (byte) 0);
    Arrays.fill(backupMacKey, (byte) 0);
    Arrays.fill(custodyKey, (byte) 0);
  }

  /** A tenant key version's key: never a KEK. */
  private Loaded loaded(KeyRef ref) {
    Loaded k = loadedAny(ref);
    if (k.kek()) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "a key-exchange key is usable only to import");
    }
    return k;
  }

  /**
   * The key of the token, from the cache or unwrapped; the unwrap happens outside the lock, so a
   * session that misses the cache does not hold up the others. An EC key's public point (a scalar
   * multiplication) is computed only when {@link #load} asks for it.
   */
  private Loaded loadedAny(KeyRef ref) {
    Loaded cached = keys.get(ref.kid());
    if (cached != null && cached.token().equals(ref.token())) {
      return cached;
    }
    KeyTokenLayout.Parts parts = checkedParts(ref);
    boolean extractable = parts.extractable();
    boolean kek = parts.kek();
    byte[] pkcs8 = unwrap(parts.custody() ? custodyKey : worldKey, parts.wrapped());
    Loaded loaded;
    try {
      String jcaAlgorithm = ref.algorithm().isRsa() ? "RSA" : "EC";
      PrivateKey privateKey = crypto.keyFactory(jcaAlgorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      PublicKey publicKey = null;
      if (ref.algorithm().isRsa()) {
        publicKey = Pkcs8Keys.publicOf(privateKey, ref.algorithm());
      } else if (!(privateKey instanceof ECPrivateKey ec)
          || ec.getParams().getCurve().getField().getFieldSize() != (ref.algorithm() == KeyAlgorithm.EC_P384 ? 384 : 256)) {
        throw new GeneralSecurityException("not a key of " + ref.algorithm().wireName());
      }
      loaded = new Loaded(ref.token(), privateKey, publicKey, extractable, kek);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key token does not hold a usable key");
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
    keys.put(ref.kid(), loaded);
    return loaded;
  }

  private byte[] wrap(byte[] pkcs8, boolean extractable) {
    return wrap(pkcs8, extractable ? EXTRACTABLE : 0);
  }

  /** A key token: an extractable key wrapped under the world key, any other under the custody key. */
  private byte[] wrap(byte[] pkcs8, int attributes) {
    byte format = KeyTokenLayout.formatFor((byte) attributes);
    AESWrapPadEngine engine = new AESWrapPadEngine();
    engine.init(true, new KeyParameter(format == KeyTokenLayout.CUSTODY_FORMAT ? custodyKey : worldKey));
    byte[] wrapped = engine.wrap(pkcs8, 0, pkcs8.length);
    return KeyTokenLayout.assemble(format, (byte) attributes, tag(format, (byte) attributes, wrapped), wrapped);
  }

  /** A key token's parts, its tag checked. */
  private KeyTokenLayout.Parts checkedParts(KeyRef ref) {
    KeyTokenLayout.Parts parts = KeyTokenLayout.parse(ref, worldId);
    if (!MessageDigest.isEqual(tag(parts.format(), parts.attributes(), parts.wrapped()), parts.tag())) {
      throw KeyTokenLayout.altered();
    }
    return parts;
  }

  /** The key token's tag: HMAC-SHA256 under a key derived from the world key. */
  private byte[] tag(byte format, byte attributes, byte[] wrapped) {
    return KeyTokenLayout.hmacSha256(tagKey, KeyTokenLayout.tagInput(format, attributes, wrapped));
  }

  private static byte[] unwrap(byte[] key, byte[] wrapped) {
    AESWrapPadEngine engine = new AESWrapPadEngine();
    engine.init(false, new KeyParameter(key));
    try {
      return engine.unwrap(wrapped, 0, wrapped.length);
    } catch (InvalidCipherTextException e) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key token does not unwrap under this world");
    }
  }

  /** HSM work is slow; it must never run on an event loop (SPEC: never block an event loop). */
  private static void requireWorkerThread() {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("HSM operation attempted on an event-loop thread");
    }
  }
}
