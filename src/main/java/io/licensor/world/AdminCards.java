package io.licensor.world;

import io.vertx.core.json.JsonObject;
import org.bouncycastle.crypto.threshold.ShamirSecretSplitter;
import org.bouncycastle.crypto.threshold.ShamirSplitSecret;
import org.bouncycastle.crypto.threshold.ShamirSplitSecretShare;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The security world and its administrator card set. The world key (AES-256) is split with
 * Shamir secret sharing into N cards, any K of which rebuild it; each card holds one share sealed
 * with AES-256-GCM under a key derived from its own passphrase with scrypt (memory-hard). The world
 * file holds no secret: the world id, K, N, and a key check value to recognise the right key.
 */
public final class AdminCards {

  static final String WORLD_FORMAT = "licensor-world/1";
  static final String CARD_FORMAT = "licensor-admin-card/1";
  public static final int MIN_PASSPHRASE = 12;

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
    // with a quorum above one, the world key is the secret of a fresh Shamir split (a random one, as it would be anyway)
    ShamirSplitSecret split = null;
    byte[] key;
    try {
      if (quorum == 1) {
        key = new byte[32];
        RANDOM.nextBytes(key);
      } else {
        split = new ShamirSecretSplitter(ShamirSecretSplitter.Algorithm.AES, ShamirSecretSplitter.Mode.Table, 32, RANDOM)
            .split(quorum, cards);
        key = split.getSecret();
      }
    } catch (IOException e) {
      throw new WorldException("splitting the world key failed");
    }
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
      List<JsonObject> sealed = new ArrayList<>();
      if (quorum == 1) {
        for (int i = 0; i < cards; i++) {
          sealed.add(seal(worldId, i + 1, quorum, key, passphrases.get(i)));
        }
      } else {
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
    List<byte[]> shares = new ArrayList<>();
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
    JsonObject sealed = PassphraseSeal.seal(share, passphrase, aad(worldId, index));
    return new JsonObject()
        .put("format", CARD_FORMAT)
        .put("worldId", worldId)
        .put("index", index)
        .put("quorum", quorum)
        .put("kdf", sealed.getJsonObject("kdf"))
        .put("cipher", sealed.getString("cipher"))
        .put("nonce", sealed.getString("nonce"))
        .put("share", sealed.getString("ciphertext"));
  }

  private static byte[] open(Card card, String worldId, char[] passphrase) {
    JsonObject c = card.sealed();
    JsonObject sealed = new JsonObject().put("kdf", c.getJsonObject("kdf", new JsonObject()))
        .put("nonce", c.getString("nonce", "")).put("ciphertext", c.getString("share", ""));
    return PassphraseSeal.open(sealed, passphrase, aad(worldId, card.index()), "card " + card.index());
  }

  static byte[] aad(String worldId, int index) {
    return ("licensor-admin-card|" + worldId + "|" + index).getBytes(StandardCharsets.UTF_8);
  }

  /** Key check value: the first 8 bytes of HMAC-SHA256(key, "licensor key check value"), hex. */
  static String checkValue(byte[] key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(Arrays.copyOf(mac.doFinal("licensor key check value".getBytes(StandardCharsets.US_ASCII)), 8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
