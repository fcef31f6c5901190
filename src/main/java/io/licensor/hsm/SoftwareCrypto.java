package io.licensor.hsm;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * Where the software HSM's private-key operations run: a native provider (Amazon Corretto Crypto
 * Provider, AWS-LC underneath) where the platform has it, the JDK's providers elsewhere. The
 * choice is {@code hsm.software.provider}: {@code auto} (the default: native when it loads and
 * passes its self-tests and this class's cross-checks against the JDK), {@code native} (refuse to
 * start without it), {@code jdk}. The provider is used only for the HSM's own operations; it is not
 * installed for the rest of the process.
 */
public final class SoftwareCrypto {

  private static final Logger LOG = LoggerFactory.getLogger(SoftwareCrypto.class);

  /** How the provider is chosen. */
  public enum Choice {
    AUTO, NATIVE, JDK;

    public static Choice of(String setting) {
      return valueOf(setting.toUpperCase(Locale.ROOT));
    }
  }

  private final Provider provider;
  private final String description;

  private SoftwareCrypto(Provider provider, String description) {
    this.provider = provider;
    this.description = description;
  }

  /** The JDK's providers (SunRsaSign, SunEC, SunJCE). */
  public static SoftwareCrypto jdk() {
    return new SoftwareCrypto(null, "JDK (SunRsaSign, SunEC, SunJCE; Java " + Runtime.version().feature() + ")");
  }

  private static SoftwareCrypto checkedNative;

  /**
   * The native provider, checked (once per process: the HSM and the licensing path's public-key
   * work share it); fails naming why it cannot be used.
   */
  public static synchronized SoftwareCrypto nativeProvider() {
    if (checkedNative == null) {
      checkedNative = checkNative();
    }
    return checkedNative;
  }

  private static SoftwareCrypto checkNative() {
    AmazonCorrettoCryptoProvider accp;
    try {
      accp = AmazonCorrettoCryptoProvider.INSTANCE;
      if (accp.getLoadingError() != null) {
        throw new IllegalStateException("Amazon Corretto Crypto Provider did not load: " + accp.getLoadingError());
      }
      accp.assertHealthy();
    } catch (LinkageError | RuntimeException e) {
      throw new IllegalStateException("no native crypto provider on this platform (" + System.getProperty("os.name") + " "
          + System.getProperty("os.arch") + "): " + e.getMessage(), e);
    }
    SoftwareCrypto crypto = new SoftwareCrypto(accp, "Amazon Corretto Crypto Provider " + accp.getVersionStr() + " ("
        + accp.getAwsLcVersionStr() + ", native)");
    crypto.crossCheck();
    return crypto;
  }

  /** As {@code hsm.software.provider} says; with {@code auto}, the JDK if the native provider cannot be used. */
  public static SoftwareCrypto choose(Choice choice) {
    return switch (choice) {
      case JDK -> jdk();
      case NATIVE -> nativeProvider();
      case AUTO -> {
        try {
          yield nativeProvider();
        } catch (IllegalStateException e) {
          LOG.warn("software HSM: {}; using the JDK's providers", e.getMessage());
          yield jdk();
        }
      }
    };
  }

  /** Which provider, for the start-up log and readiness. */
  public String description() {
    return description;
  }

  public boolean nativeCode() {
    return provider != null;
  }

  /** The native provider, for other public-key work on the node (token signatures); null on the JDK's. */
  public Provider provider() {
    return provider;
  }

  public Cipher cipher(String transformation) throws GeneralSecurityException {
    return instance(p -> Cipher.getInstance(transformation, p), () -> Cipher.getInstance(transformation));
  }

  public Signature signature(String algorithm) throws GeneralSecurityException {
    return instance(p -> Signature.getInstance(algorithm, p), () -> Signature.getInstance(algorithm));
  }

  public KeyAgreement agreement(String algorithm) throws GeneralSecurityException {
    return instance(p -> KeyAgreement.getInstance(algorithm, p), () -> KeyAgreement.getInstance(algorithm));
  }

  public KeyPairGenerator generator(String algorithm) throws GeneralSecurityException {
    return instance(p -> KeyPairGenerator.getInstance(algorithm, p), () -> KeyPairGenerator.getInstance(algorithm));
  }

  public KeyFactory keyFactory(String algorithm) throws GeneralSecurityException {
    return instance(p -> KeyFactory.getInstance(algorithm, p), () -> KeyFactory.getInstance(algorithm));
  }

  private interface FromProvider<T> {
    T get(Provider provider) throws GeneralSecurityException;
  }

  private interface FromJdk<T> {
    T get() throws GeneralSecurityException;
  }

  /** The native provider's implementation, or the JDK's where there is none or it does not offer it. */
  private <T> T instance(FromProvider<T> fromProvider, FromJdk<T> fromJdk) throws GeneralSecurityException {
    if (provider != null) {
      try {
        return fromProvider.get(provider);
      } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
        // not offered natively: the JDK's
      }
    }
    return fromJdk.get();
  }

  /**
   * Before the native provider is trusted with a tenant key: each operation the HSM uses, on keys
   * loaded from PKCS#8 as the HSM loads them, checked against the JDK (signatures verified by the
   * JDK, OAEP decryption of the JDK's ciphertext, ECDH agreeing with the JDK's). A failure means
   * the native provider is not used.
   */
  private void crossCheck() {
    try {
      SecureRandom random = new SecureRandom();
      byte[] message = new byte[64];
      random.nextBytes(message);

      KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
      rsaGen.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4), random);
      KeyPair rsa = rsaGen.generateKeyPair();
      var rsaPrivate = keyFactory("RSA").generatePrivate(new PKCS8EncodedKeySpec(rsa.getPrivate().getEncoded()));
      PSSParameterSpec pss = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
      Signature ps = signature("RSASSA-PSS");
      ps.setParameter(pss);
      ps.initSign(rsaPrivate);
      ps.update(message);
      Signature psVerify = Signature.getInstance("RSASSA-PSS");
      psVerify.setParameter(pss);
      psVerify.initVerify(rsa.getPublic());
      psVerify.update(message);
      require(psVerify.verify(ps.sign()), "RSASSA-PSS signature does not verify with the JDK");

      OAEPParameterSpec oaep = new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
      Cipher encrypt = Cipher.getInstance("RSA/ECB/OAEPPadding");
      encrypt.init(Cipher.ENCRYPT_MODE, rsa.getPublic(), oaep);
      byte[] secret = Arrays.copyOf(message, 32);
      Cipher decrypt = cipher("RSA/ECB/OAEPPadding");
      decrypt.init(Cipher.DECRYPT_MODE, rsaPrivate, oaep);
      require(Arrays.equals(decrypt.doFinal(encrypt.doFinal(secret)), secret), "RSA-OAEP-256 does not decrypt the JDK's ciphertext");

      for (String[] curve : new String[][] {{"secp256r1", "SHA256withECDSAinP1363Format"},
          {"secp384r1", "SHA384withECDSAinP1363Format"}}) {
        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec(curve[0]), random);
        KeyPair ec = ecGen.generateKeyPair();
        KeyPair peer = ecGen.generateKeyPair();
        var ecPrivate = keyFactory("EC").generatePrivate(new PKCS8EncodedKeySpec(ec.getPrivate().getEncoded()));
        Signature es = signature(curve[1]);
        es.initSign(ecPrivate);
        es.update(message);
        Signature esVerify = Signature.getInstance(curve[1]);
        esVerify.initVerify(ec.getPublic());
        esVerify.update(message);
        require(esVerify.verify(es.sign()), curve[1] + " signature does not verify with the JDK");

        KeyAgreement ours = agreement("ECDH");
        ours.init(ecPrivate);
        ours.doPhase(peer.getPublic(), true);
        KeyAgreement theirs = KeyAgreement.getInstance("ECDH");
        theirs.init(peer.getPrivate());
        theirs.doPhase(ec.getPublic(), true);
        require(new BigInteger(1, ours.generateSecret()).equals(new BigInteger(1, theirs.generateSecret())),
            "ECDH on " + curve[0] + " does not agree with the JDK");
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalStateException(description + " failed its cross-check against the JDK: " + e, e);
    }
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }
}
