package io.licensor.client;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEEncrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * An RMS client of one licensor service, acting for one user (its token). It publishes content
 * offline under the tenant's current key (cached for the key's {@code max-age}, dropped as soon as
 * a response names another current key) or online; acquires use licenses for a P-256 key of its
 * own, verifies each against the tenant's {@code jwks.json} (delegated signing keys with their
 * certificates), and keeps them for their offline access; protects and opens content in the
 * container of docs/formats.md. Safe for use by many threads.
 *
 * <pre>{@code
 * LicensorClient alice = LicensorClient.builder(URI.create("https://rms.example.com")).token(aliceToken).build();
 * alice.protect("contoso", Policy.of(Policy.Grant.parse("bob@contoso.com:VIEW")), "plan.txt", in, out);
 * LicensorClient bob = LicensorClient.builder(URI.create("https://rms.example.com")).token(bobToken).build();
 * LicensorClient.Opened opened = bob.open(protectedIn, Right.VIEW);
 * }</pre>
 */
public final class LicensorClient {

  /** How content is published: offline with the tenant's cached current key, or by the server. */
  public enum Publishing {
    /** The client wraps the content key under the tenant's current public key itself (no round trip once the key is cached). */
    OFFLINE,
    /** The server makes the publishing license ({@code POST .../publishing-licenses}: audited, templates checked at once). */
    ONLINE
  }

  /** What {@link #protect} made. */
  public record Protected(String tenant, String contentId, String kid, long bytes) {
  }

  /** What {@link #open} found: the verified license and the content (which the caller owns and may wipe). */
  public record Opened(UseLicense license, ProtectedContainer container, byte[] content) {
  }

  private record Kept(UseLicense license, byte[] contentKey) {
  }

  private final Transport transport;
  private final LicenseVerifier verifier;
  private final Clock clock;
  private final String principal;
  private final Supplier<String> token;
  private final SecureRandom random = new SecureRandom();
  private final ECKey recipientKey;
  private final Map<String, CurrentKey> currentKeys = new ConcurrentHashMap<>();
  private final Map<String, Kept> licenses = new ConcurrentHashMap<>();

  private LicensorClient(Builder b) {
    this.clock = b.clock;
    this.token = b.token;
    this.principal = b.principal;
    this.transport = new Transport(b.http != null ? b.http : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(),
        b.server, b.token, b.timeout, b.maxRetries, b.maxRetryWait, b.sleeper);
    this.verifier = new LicenseVerifier(transport, clock);
    try {
      this.recipientKey = new ECKeyGenerator(Curve.P_256).keyID("licensor-client").generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("no EC P-256 key generator: " + e.getMessage(), e);
    }
  }

  public static Builder builder(URI server) {
    return new Builder(server);
  }

  /** The tenant's current key version: from the cache while its {@code max-age} lasts, else fetched. */
  public CurrentKey currentKey(String tenant) {
    CurrentKey kept = currentKeys.get(tenant);
    if (kept != null && clock.instant().isBefore(kept.freshUntil())) {
      return kept;
    }
    Transport.Answer answer = transport.send("GET", Transport.tenantPath(tenant) + "/keys/current", null, true);
    CurrentKey key;
    try {
      key = new CurrentKey(tenant, JSONObjectUtils.getString(answer.body(), "kid"),
          JSONObjectUtils.getLong(answer.body(), "version"), JSONObjectUtils.getString(answer.body(), "algorithm"),
          JWK.parse(JSONObjectUtils.getJSONObject(answer.body(), "jwk")),
          clock.instant().plusSeconds(Transport.maxAge(answer.header("Cache-Control"))));
    } catch (ParseException | RuntimeException e) {
      throw new LicensorException("the tenant's current key does not read as {kid, version, algorithm, jwk}: " + e.getMessage(), e);
    }
    if (key.kid() == null || !key.kid().startsWith(tenant + ":")) {
      throw new LicensorException("the server named " + key.kid() + " as " + tenant + "'s current key");
    }
    currentKeys.put(tenant, key);
    return key;
  }

  /**
   * A publishing license made here, offline: the content key wrapped under the tenant's current key
   * version (RSA-OAEP-256 or ECDH-ES+A256KW, A256GCM), with the policy, naming this client's principal
   * as publisher.
   */
  public PublishingLicense publish(String tenant, Policy policy, byte[] contentKey, String contentId) {
    requireContentKey(contentKey);
    CurrentKey key = currentKey(tenant);
    Map<String, Object> content = new LinkedHashMap<>();
    content.put("contentId", contentId);
    content.put("publisher", publisher());
    content.put("issuedAt", clock.instant().getEpochSecond());
    content.put("contentKey", b64(contentKey));
    content.put("policy", policy.toJson());
    try {
      JWEAlgorithm alg;
      JWEEncrypter encrypter;
      if (key.jwk().getKeyType() == KeyType.RSA) {
        alg = JWEAlgorithm.RSA_OAEP_256;
        encrypter = new RSAEncrypter(key.jwk().toRSAKey());
      } else if (key.jwk().getKeyType() == KeyType.EC) {
        alg = JWEAlgorithm.ECDH_ES_A256KW;
        encrypter = new ECDHEncrypter(key.jwk().toECKey());
      } else {
        throw new LicensorException("the tenant's current key is " + key.jwk().getKeyType() + ", which this client cannot publish to");
      }
      JWEObject jwe = new JWEObject(new JWEHeader.Builder(alg, EncryptionMethod.A256GCM).keyID(key.kid())
          .type(new JOSEObjectType("licensor-pl+jwe")).build(), new Payload(JSONObjectUtils.toJSONString(content)));
      jwe.encrypt(encrypter);
      return new PublishingLicense(tenant, contentId, key.kid(), jwe.serialize());
    } catch (JOSEException e) {
      throw new LicensorException("cannot wrap the content key under " + key.kid() + ": " + e.getMessage(), e);
    }
  }

  /** A publishing license the server makes ({@code POST /v1/tenants/{tid}/publishing-licenses}). */
  public PublishingLicense publishOnline(String tenant, Policy policy, byte[] contentKey, String contentId) {
    requireContentKey(contentKey);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("contentId", contentId);
    body.put("policy", policy.toJson());
    body.put("contentKey", b64(contentKey));
    Transport.Answer answer = transport.send("POST", Transport.tenantPath(tenant) + "/publishing-licenses", body, true);
    noticeCurrentKid(tenant, answer.header("Licensor-Current-Kid"));
    try {
      return new PublishingLicense(tenant, contentId, JSONObjectUtils.getString(answer.body(), "kid"),
          JSONObjectUtils.getString(answer.body(), "publishingLicense"));
    } catch (ParseException e) {
      throw new LicensorException("the server's publishing license answer does not read: " + e.getMessage(), e);
    }
  }

  /**
   * A verified use license for this publishing license: the one kept from before while its offline
   * access lasts ({@link UseLicense#keepUntil()}), else a new one from the server.
   */
  public UseLicense acquire(String tenant, String publishingLicense, String contentId) {
    return acquireKept(tenant, publishingLicense, contentId).license();
  }

  private Kept acquireKept(String tenant, String publishingLicense, String contentId) {
    String cacheKey = cacheKey(tenant, publishingLicense);
    Kept kept = licenses.get(cacheKey);
    if (kept != null && clock.instant().isBefore(kept.license().keepUntil())) {
      return kept;
    }
    licenses.remove(cacheKey);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("publishingLicense", publishingLicense);
    body.put("recipientKey", recipientKey.toPublicJWK().toJSONObject());
    Transport.Answer answer = transport.send("POST", Transport.tenantPath(tenant) + "/licenses", body, true);
    noticeCurrentKid(tenant, answer.header("Licensor-Current-Kid"));
    Object currentKid = answer.body().get("currentKid");
    if (currentKid instanceof String c) {
      noticeCurrentKid(tenant, c);
    }
    if (!(answer.body().get("useLicense") instanceof String compact)) {
      throw new LicensorException.LicenseRejectedException("the server's answer holds no useLicense");
    }
    UseLicense license = verifier.verify(compact, tenant, contentId, recipientKey);
    Kept fresh = new Kept(license, contentKey(compact));
    if (license.offlineAccessSeconds() > 0) {
      licenses.put(cacheKey, fresh);
    }
    return fresh;
  }

  /** Drops the use licenses this client keeps (for example when its user signs out). */
  public void forgetLicenses() {
    licenses.values().forEach(k -> Arrays.fill(k.contentKey(), (byte) 0));
    licenses.clear();
  }

  /**
   * Protects {@code content} for {@code tenant}: a fresh content key, a publishing license ({@code how}),
   * and the container written to {@code out} as the content is read.
   */
  public Protected protect(String tenant, Policy policy, String name, InputStream content, OutputStream out, Publishing how)
      throws IOException {
    Objects.requireNonNull(policy, "policy");
    byte[] contentKey = new byte[32];
    random.nextBytes(contentKey);
    try {
      String contentId = UUID.randomUUID().toString();
      PublishingLicense license = how == Publishing.ONLINE ? publishOnline(tenant, policy, contentKey, contentId)
          : publish(tenant, policy, contentKey, contentId);
      long bytes = ProtectedContainer.write(out, license, name, contentKey, content, random);
      return new Protected(tenant, contentId, license.kid(), bytes);
    } finally {
      Arrays.fill(contentKey, (byte) 0);
    }
  }

  /** {@link #protect(String, Policy, String, InputStream, OutputStream, Publishing)}, published offline. */
  public Protected protect(String tenant, Policy policy, String name, InputStream content, OutputStream out)
      throws IOException {
    return protect(tenant, policy, name, content, out, Publishing.OFFLINE);
  }

  /** Protects a file into {@code target}, written whole or not at all (a partial file is moved into place). */
  public Protected protectFile(Path file, Path target, String tenant, Policy policy, Publishing how) throws IOException {
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    try {
      Protected made;
      try (InputStream in = Files.newInputStream(file); OutputStream out = Files.newOutputStream(partial)) {
        made = protect(tenant, policy, file.getFileName().toString(), in, out, how);
      }
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return made;
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /**
   * Opens a container as this client's user: a verified use license that grants {@code needed}
   * (else {@link LicensorException.RightNotGrantedException}), then the content, returned only if its
   * tag verifies.
   */
  public Opened open(InputStream in, Right needed) throws IOException {
    ProtectedContainer container = ProtectedContainer.read(in);
    Kept kept = acquireKept(container.tenant(), container.publishingLicense(), container.contentId());
    if (!kept.license().grants(needed)) {
      throw new LicensorException.RightNotGrantedException(kept.license(), needed);
    }
    return new Opened(kept.license(), container, container.decrypt(kept.contentKey()));
  }

  /** Opens a container and writes its content to {@code out}: nothing is written unless it all verified. */
  public UseLicense open(InputStream in, OutputStream out, Right needed) throws IOException {
    Opened opened = open(in, needed);
    try {
      out.write(opened.content());
      return opened.license();
    } finally {
      Arrays.fill(opened.content(), (byte) 0);
    }
  }

  /** Opens protected bytes (a browser upload, a message attachment). */
  public Opened open(byte[] container, Right needed) throws IOException {
    return open(new ByteArrayInputStream(container), needed);
  }

  private byte[] contentKey(String compact) {
    try {
      Object jwe = com.nimbusds.jose.JWSObject.parse(compact).getPayload().toJSONObject().get("contentKey");
      if (!(jwe instanceof String s)) {
        throw new LicensorException.LicenseRejectedException("the use license carries no content key");
      }
      JWEObject key = JWEObject.parse(s);
      key.decrypt(new ECDHDecrypter(recipientKey));
      byte[] bytes = key.getPayload().toBytes();
      if (bytes.length != 32) {
        throw new LicensorException.LicenseRejectedException("the use license's content key is not 32 bytes");
      }
      return bytes;
    } catch (ParseException | JOSEException e) {
      throw new LicensorException.LicenseRejectedException("the use license's content key does not decrypt with this client's key");
    }
  }

  /** A response named the tenant's current kid: a cached current key that is not it is dropped. */
  private void noticeCurrentKid(String tenant, String currentKid) {
    if (currentKid == null) {
      return;
    }
    CurrentKey kept = currentKeys.get(tenant);
    if (kept != null && !kept.kid().equals(currentKid)) {
      currentKeys.remove(tenant, kept);
    }
  }

  /** The publisher an offline publishing license names: the configured principal, else the token's {@code sub}. */
  private String publisher() {
    if (principal != null) {
      return principal;
    }
    String bearer = token.get();
    String[] parts = bearer == null ? new String[0] : bearer.split("\\.");
    if (parts.length == 3) {
      try {
        Object sub = JSONObjectUtils.parse(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)).get("sub");
        if (sub instanceof String s && !s.isBlank()) {
          return s;
        }
      } catch (ParseException | IllegalArgumentException e) {
        // no readable sub: below
      }
    }
    throw new IllegalStateException("offline publishing names its publisher: give LicensorClient.builder().principal(...) "
        + "(the token has no readable sub)");
  }

  private static String cacheKey(String tenant, String publishingLicense) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(publishingLicense.getBytes(StandardCharsets.US_ASCII));
      return tenant + "/" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void requireContentKey(byte[] contentKey) {
    if (contentKey == null || contentKey.length != 32) {
      throw new IllegalArgumentException("a content key is 32 bytes (AES-256)");
    }
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static final class Builder {
    private final URI server;
    private Supplier<String> token = () -> null;
    private String principal;
    private HttpClient http;
    private Clock clock = Clock.systemUTC();
    private Duration timeout = Duration.ofSeconds(60);
    private int maxRetries = 3;
    private Duration maxRetryWait = Duration.ofSeconds(30);
    private Transport.Sleeper sleeper = d -> Thread.sleep(d.toMillis());

    private Builder(URI server) {
      this.server = Objects.requireNonNull(server, "server");
      if (!"https".equals(server.getScheme()) && !"http".equals(server.getScheme())) {
        throw new IllegalArgumentException("the server is an http(s) URL: " + server);
      }
    }

    /** The user's bearer token. */
    public Builder token(String token) {
      return token(() -> token);
    }

    /** Where the user's current bearer token comes from (asked for each request: refresh it there). */
    public Builder token(Supplier<String> token) {
      this.token = Objects.requireNonNull(token, "token");
      return this;
    }

    /** The principal offline publishing names as publisher (default: the token's {@code sub}). */
    public Builder principal(String principal) {
      this.principal = principal;
      return this;
    }

    /** The HTTP client (its SSLContext decides which server certificates are trusted). */
    public Builder httpClient(HttpClient http) {
      this.http = http;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder timeout(Duration timeout) {
      this.timeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * How often a 429 or 503 with {@code Retry-After} is retried (after waiting what it says; default
     * 3), and the longest wait it may ask (default 30 s): beyond, its {@link ProblemException} is thrown.
     */
    public Builder retries(int maxRetries, Duration maxRetryWait) {
      if (maxRetries < 0) {
        throw new IllegalArgumentException("maxRetries is negative");
      }
      this.maxRetries = maxRetries;
      this.maxRetryWait = Objects.requireNonNull(maxRetryWait, "maxRetryWait");
      return this;
    }

    Builder sleeper(Transport.Sleeper sleeper) {
      this.sleeper = sleeper;
      return this;
    }

    public LicensorClient build() {
      return new LicensorClient(this);
    }
  }

}
