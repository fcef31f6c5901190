package io.licensor.identity.remote;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.CachingJWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetBasedJWKSource;
import com.nimbusds.jose.jwk.source.JWKSetParseException;
import com.nimbusds.jose.jwk.source.JWKSetRetrievalException;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.jwk.source.RateLimitedJWKSetSource;
import com.nimbusds.jose.jwk.source.RetryingJWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Resource;
import com.nimbusds.jose.util.ResourceRetriever;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The key sets of identity providers that publish theirs (an explicit {@code jwksUri}, or the
 * {@code jwks_uri} of the issuer's OpenID Connect discovery document), each behind Nimbus's
 * remote key-source chain: fetched through a {@link GuardedFetcher}, retried once, kept through an
 * outage of the provider for {@code outageSeconds}, refreshed at most twice per
 * {@code refreshIntervalSeconds} (so tokens naming unknown kids cannot make licensor hammer the
 * provider), and cached for what the response's {@code Cache-Control: max-age} says, bounded to
 * [{@code minCacheSeconds}, {@code maxCacheSeconds}] ({@code cacheSeconds} when it says nothing).
 * A token whose kid the cached set lacks refreshes it (within the rate), which is how a provider's
 * key rotation reaches licensor without a restart. At most {@code maxSets} providers are kept
 * (least recently used go first). The sources block: call them from a worker.
 */
public final class RemoteKeys {

  /** The settings under {@code identity.remoteKeys}. */
  public record Settings(List<String> allowedNetworks, String trustFile, int cacheSeconds, int minCacheSeconds,
                         int maxCacheSeconds, int refreshIntervalSeconds, int outageSeconds, int timeoutMs,
                         int maxBytes, int maxSets) {
  }

  static final int MAX_KEYS = 100;

  private final Settings settings;
  private final GuardedFetcher fetcher;
  private final Map<String, JWKSource<SecurityContext>> sources;

  public RemoteKeys(Settings settings) throws GeneralSecurityException, IOException {
    this.settings = settings;
    this.fetcher = new GuardedFetcher(AllowedNetworks.of(settings.allowedNetworks()),
        settings.trustFile() == null ? null : Path.of(settings.trustFile()), settings.timeoutMs(), settings.maxBytes());
    this.sources = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, JWKSource<SecurityContext>> eldest) {
        return size() > settings.maxSets();
      }
    };
  }

  /**
   * Fetches (or finds cached) the issuer's key set now, blocking (call it on a worker): how many
   * keys it holds, or an exception whose {@link #why} says what went wrong.
   */
  public int fetchNow(String issuer, String jwksUri) throws KeySourceException, IOException {
    List<com.nimbusds.jose.jwk.JWK> keys = sourceFor(issuer, jwksUri)
        .get(new com.nimbusds.jose.jwk.JWKSelector(new com.nimbusds.jose.jwk.JWKMatcher.Builder().build()), null);
    if (keys.isEmpty()) {
      throw new IOException("the provider's key set holds no keys");
    }
    return keys.size();
  }

  /** The innermost message of a failed fetch: the guard's refusal, the provider's status, the TLS failure. */
  public static String why(Throwable e) {
    String message = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
      if (t.getCause() == t) {
        break;
      }
    }
    if (message == null) {
      return "no answer";
    }
    String clean = message.replaceAll("\\p{Cntrl}", " ");
    return clean.length() > 300 ? clean.substring(0, 300) + "..." : clean;
  }

  /** The key source of an issuer: its {@code jwksUri}, or (null) the one its discovery document names. */
  public JWKSource<SecurityContext> sourceFor(String issuer, String jwksUri) {
    String key = issuer + " " + (jwksUri == null ? "(discovery)" : jwksUri);
    synchronized (sources) {
      return sources.computeIfAbsent(key, k -> build(issuer, jwksUri));
    }
  }

  private JWKSource<SecurityContext> build(String issuer, String jwksUri) {
    AtomicLong maxAge = new AtomicLong(-1);
    JWKSetSource<SecurityContext> source = new ProviderKeySet(issuer, jwksUri, maxAge);
    source = new RetryingJWKSetSource<>(source, null);
    source = new OutageTolerantJWKSetSource<>(source, settings.outageSeconds() * 1000L, null);
    source = new RateLimitedJWKSetSource<>(source, settings.refreshIntervalSeconds() * 1000L, null);
    source = new CacheControlled(source, maxAge, settings);
    return new JWKSetBasedJWKSource<>(source);
  }

  /** Nimbus's cache, with a time to live from the last response's Cache-Control, bounded. */
  private static final class CacheControlled extends CachingJWKSetSource<SecurityContext> {
    private final AtomicLong maxAge;
    private final Settings settings;

    CacheControlled(JWKSetSource<SecurityContext> source, AtomicLong maxAge, Settings settings) {
      super(source, settings.cacheSeconds() * 1000L, settings.timeoutMs() * 2L + 1000, null);
      this.maxAge = maxAge;
      this.settings = settings;
    }

    @Override
    public long getTimeToLive() {
      long said = maxAge.get();
      long seconds = said < 0 ? settings.cacheSeconds() : said;
      seconds = Math.max(settings.minCacheSeconds(), Math.min(settings.maxCacheSeconds(), seconds));
      return seconds * 1000L;
    }
  }

  /**
   * The provider's key set itself: the JWKS URL given, or the one its discovery document names
   * (looked up again after a failed fetch), fetched with Nimbus's URL source through the guarded
   * fetcher; private keys are dropped and a set of more than {@value #MAX_KEYS} keys is refused.
   */
  private final class ProviderKeySet implements JWKSetSource<SecurityContext> {
    private final String issuer;
    private final String jwksUri;
    private final AtomicLong maxAge;
    private volatile URLBasedJWKSetSource<SecurityContext> current;

    ProviderKeySet(String issuer, String jwksUri, AtomicLong maxAge) {
      this.issuer = issuer;
      this.jwksUri = jwksUri;
      this.maxAge = maxAge;
    }

    @Override
    public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator refreshEvaluator, long currentTime, SecurityContext context)
        throws KeySourceException {
      URLBasedJWKSetSource<SecurityContext> source = current;
      if (source == null) {
        URL url = jwksUri != null ? url(jwksUri) : discover();
        ResourceRetriever retriever = u -> {
          GuardedFetcher.Fetched fetched = fetcher.fetch(u);
          maxAge.set(fetched.maxAgeSeconds());
          return new Resource(fetched.content(), fetched.contentType());
        };
        source = new URLBasedJWKSetSource<>(url, retriever);
        current = source;
      }
      JWKSet set;
      try {
        set = source.getJWKSet(refreshEvaluator, currentTime, context);
      } catch (KeySourceException e) {
        if (jwksUri == null) {
          current = null;
        }
        throw e;
      }
      if (set.getKeys().size() > MAX_KEYS) {
        throw new JWKSetParseException("the provider's key set holds more than " + MAX_KEYS + " keys", null);
      }
      return set.toPublicJWKSet();
    }

    private URL discover() throws KeySourceException {
      String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
      GuardedFetcher.Fetched fetched;
      try {
        fetched = fetcher.fetch(url(base + "/.well-known/openid-configuration"));
      } catch (IOException e) {
        throw new JWKSetRetrievalException("the issuer's discovery document could not be fetched: " + e.getMessage(), e);
      }
      JsonObject document;
      try {
        document = new JsonObject(fetched.content());
      } catch (DecodeException e) {
        throw new JWKSetParseException("the issuer's discovery document is not JSON", e);
      }
      // OpenID Connect Discovery 1.0 §4.3: the document's issuer is the issuer it was fetched for
      if (!issuer.equals(document.getValue("issuer"))) {
        throw new JWKSetParseException("the discovery document names another issuer", null);
      }
      if (!(document.getValue("jwks_uri") instanceof String uri)) {
        throw new JWKSetParseException("the discovery document has no jwks_uri", null);
      }
      return url(uri);
    }

    @Override
    public void close() {
    }
  }

  private static URL url(String text) throws KeySourceException {
    try {
      URI uri = URI.create(text);
      if (!"https".equalsIgnoreCase(uri.getScheme())) {
        throw new JWKSetParseException("only https key sets are fetched", null);
      }
      return uri.toURL();
    } catch (IllegalArgumentException | IOException e) {
      throw new JWKSetParseException("not a valid URL", e);
    }
  }
}
