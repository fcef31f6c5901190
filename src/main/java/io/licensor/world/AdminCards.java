package io.licensor.world;

import io.vertx.core.json.JsonObject;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.threshold.ShamirSecretSplitter;
import org.bouncycastle.crypto.threshold.ShamirSplitSecret;
import org.bouncycastle.crypto.threshold.ShamirSplitSecretShare;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The security world and its administrator card set. The world key (AES-256) is split with
 * Shamir secret sharing into N cards, any K of which rebuild it; each card holds one share sealed
 * with AES-256-GCM under a key derived from its own passphrase with scrypt (memory-hard). The world
 * file holds no secret: the world id, K, N, and a key check value to recognise the right key.
 */
public final class AdminCards {

  static final String WORLD_FORMAT = "licensor-world/1";
  static final String CARD_FORMAT = "licensor-admin-card/1";
  /** scrypt cost: 2^15 × 8 × 128 bytes = 32 MiB of memory per derivation. */
  static final int SCRYPT_N = 1 << 15;
  static final int SCRYPT_R = 8;
  static final int SCRYPT_P = 1;
  static final int MIN_PASSPHRASE = 8;

  private static final SecureRandom RANDOM = new SecureRandom();

  private AdminCards() {
  }

  /** A world and its cards, as {@code world init} writes them. */
  public record NewWorld(WorldKey key, JsonObject worldFile, List<JsonObject> cards) {
  }

  /** Makes a fresh world key and seals one share per passphrase; any {@code quorum} of the cards rebuild it. */
  public static NewWorld create(int quorum, List<char[]> passphrases) {
    int cards = passphrases.size();
    if (cards < 1 || cards > 255 || quorum < 1 || quorum > cards) {
      throw new WorldException("need 1 <= quorum <= cards <= 255, got quorum " + quorum + " of " + cards + " cards");
    }
    for (char[] p : passphrases) {
      if (p.length < MIN_PASSPHRASE) {
        throw new WorldException("card passphrases must have at least " + MIN_PASSPHRASE + " characters");
      }
    }
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    byte[] id = new byte[8];
    RANDOM.nextBytes(id);
    String worldId = "w" + HexFormat.of().formatHex(id);
    try {
      JsonObject world = new JsonObject()
          .put("format", WORLD_FORMAT)
          .put("worldId", worldId)
          .put("quorum", quorum)
          .put("cards", cards)
          .put("kcv", checkValue(key))
          .put("createdAt", Instant.now().toString());
      List<JsonObject> sealed = new java.util.ArrayList<>();
      if (quorum == 1) {
        for (int i = 0; i < cards; i++) {
          sealed.add(seal(worldId, i + 1, quorum, key, passphrases.get(i)));
        }
      } else {
        ShamirSecretSplitter splitter = new ShamirSecretSplitter(ShamirSecretSplitter.Algorithm.AES,
            ShamirSecretSplitter.Mode.Table, 32, RANDOM);
        @SuppressWarnings("deprecation")
        ShamirSplitSecret split = splitter.resplit(key.clone(), quorum, cards);
        ShamirSplitSecretShare[] shares = split.getSecretShares();
        for (int i = 0; i < cards; i++) {
          byte[] share = shares[i].getEncoded();
          sealed.add(seal(worldId, i + 1, quorum, share, passphrases.get(i)));
          Arrays.fill(share, (byte) 0);
        }
      }
      return new NewWorld(new WorldKey(worldId, key), world, sealed);
    } catch (IOException e) {
      throw new WorldException("splitting the world key failed");
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** An unsealed card: which world, which share. */
  public record Card(String worldId, int index, JsonObject sealed) {
  }

  public static Card read(JsonObject card, String name) {
    if (!CARD_FORMAT.equals(card.getString("format")) || card.getString("worldId") == null || card.getInteger("index") == null) {
      throw new WorldException(name + " is not an administrator card");
    }
    return new Card(card.getString("worldId"), card.getInteger("index"), card);
  }

  /**
   * Rebuilds the world key from cards and their passphrases and checks it against the world
   * file's key check value. Every failure names its cause; nothing is returned on failure.
   */
  public static WorldKey rebuild(JsonObject worldFile, List<Card> cards, List<char[]> passphrases) {
    if (!WORLD_FORMAT.equals(worldFile.getString("format")) || worldFile.getString("worldId") == null) {
      throw new WorldException("the world file is not a licensor world file");
    }
    String worldId = worldFile.getString("worldId");
    int quorum = worldFile.getInteger("quorum", 0);
    Set<Integer> seen = new HashSet<>();
    for (Card c : cards) {
      if (!c.worldId().equals(worldId)) {
        throw new WorldException("card " + c.index() + " belongs to world " + c.worldId() + ", not " + worldId);
      }
      if (!seen.add(c.index())) {
        throw new WorldException("card " + c.index() + " was given twice; each card counts once");
      }
    }
    if (cards.size() < quorum) {
      throw new WorldException("world " + worldId + " needs " + quorum + " cards, got " + cards.size());
    }
    List<byte[]> shares = new java.util.ArrayList<>();
    byte[] key = null;
    try {
      for (int i = 0; i < cards.size(); i++) {
        shares.add(open(cards.get(i), worldId, passphrases.get(i)));
      }
      if (quorum == 1) {
        key = shares.get(0).clone();
      } else {
        ShamirSplitSecretShare[] picked = new ShamirSplitSecretShare[quorum];
        for (int i = 0; i < quorum; i++) {
          picked[i] = new ShamirSplitSecretShare(shares.get(i), cards.get(i).index());
        }
        key = new ShamirSplitSecret(ShamirSecretSplitter.Algorithm.AES, ShamirSecretSplitter.Mode.Table, picked).getSecret();
      }
      if (key.length != 32 || !MessageDigest.isEqual(checkValue(key).getBytes(StandardCharsets.US_ASCII),
          worldFile.getString("kcv", "").getBytes(StandardCharsets.US_ASCII))) {
        throw new WorldException("the cards do not rebuild world " + worldId + "'s key (key check value differs)");
      }
      return new WorldKey(worldId, key);
    } catch (IOException e) {
      throw new WorldException("the shares do not combine");
    } finally {
      shares.forEach(s -> Arrays.fill(s, (byte) 0));
      if (key != null) {
        Arrays.fill(key, (byte) 0);
      }
    }
  }

  private static JsonObject seal(String worldId, int index, int quorum, byte[] share, char[] passphrase) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    byte[] kek = derive(passphrase, salt);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, nonce));
      gcm.updateAAD(aad(worldId, index));
      byte[] sealed = gcm.doFinal(share);
      Base64.Encoder b64 = Base64.getEncoder();
      return new JsonObject()
          .put("format", CARD_FORMAT)
          .put("worldId", worldId)
          .put("index", index)
          .put("quorum", quorum)
          .put("kdf", new JsonObject().put("alg", "scrypt").put("N", SCRYPT_N).put("r", SCRYPT_R).put("p", SCRYPT_P)
              .put("salt", b64.encodeToString(salt)))
          .put("cipher", "AES-256-GCM")
          .put("nonce", b64.encodeToString(nonce))
          .put("share", b64.encodeToString(sealed));
    } catch (GeneralSecurityException e) {
      throw new WorldException("sealing a card failed");
    } finally {
      Arrays.fill(kek, (byte) 0);
    }
  }

  private static byte[] open(Card card, String worldId, char[] passphrase) {
    JsonObject c = card.sealed();
    JsonObject kdf = c.getJsonObject("kdf", new JsonObject());
    if (!"scrypt".equals(kdf.getString("alg")) || kdf.getInteger("N", 0) != SCRYPT_N) {
      throw new WorldException("card " + card.index() + " uses an unknown key derivation");
    }
    Base64.Decoder b64 = Base64.getDecoder();
    byte[] kek = derive(passphrase, b64.decode(kdf.getString("salt", "")));
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, b64.decode(c.getString("nonce", ""))));
      gcm.updateAAD(aad(worldId, card.index()));
      return gcm.doFinal(b64.decode(c.getString("share", "")));
    } catch (javax.crypto.AEADBadTagException e) {
      throw new WorldException("card " + card.index() + ": wrong passphrase, or the card was altered");
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new WorldException("card " + card.index() + " cannot be opened");
    } finally {
      Arrays.fill(kek, (byte) 0);
    }
  }

  private static byte[] derive(char[] passphrase, byte[] salt) {
    byte[] pass = new String(passphrase).getBytes(StandardCharsets.UTF_8);
    try {
      return SCrypt.generate(pass, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, 32);
    } finally {
      Arrays.fill(pass, (byte) 0);
    }
  }

  private static byte[] aad(String worldId, int index) {
    return ("licensor-admin-card|" + worldId + "|" + index).getBytes(StandardCharsets.UTF_8);
  }

  /** Key check value: the first 8 bytes of HMAC-SHA256(key, "licensor key check value"), hex. */
  static String checkValue(byte[] key) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(Arrays.copyOf(mac.doFinal("licensor key check value".getBytes(StandardCharsets.US_ASCII)), 8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
