package io.licensor.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * Development mode's local token issuer (off unless {@code dev.enabled}): an ES256 key kept in
 * {@code <dataDir>/dev/issuer.jwk} (0600), trusted as an operator issuer by a node in dev mode,
 * and usable as a tenant's issuer, so the embedded default can be tried with curl alone.
 * Never enable it on a node that serves real tenants.
 */
public final class DevIssuer {

  public static final String ISSUER = "urn:licensor:dev";

  private final ECKey key;

  private DevIssuer(ECKey key) {
    this.key = key;
  }

  public static DevIssuer loadOrCreate(Path dataDir) throws IOException {
    Path file = dataDir.resolve("dev").resolve("issuer.jwk");
    if (Files.exists(file)) {
      try {
        return new DevIssuer(ECKey.parse(Files.readString(file, StandardCharsets.UTF_8)));
      } catch (ParseException e) {
        throw new IOException("dev issuer key " + file + " does not parse");
      }
    }
    Files.createDirectories(file.getParent());
    Files.setPosixFilePermissions(file.getParent(), PosixFilePermissions.fromString("rwx------"));
    ECKey generated;
    try {
      generated = new ECKeyGenerator(Curve.P_256).keyID("dev-" + UUID.randomUUID().toString().substring(0, 8)).generate();
    } catch (JOSEException e) {
      throw new IOException("cannot generate the dev issuer key", e);
    }
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, generated.toJSONString(), StandardCharsets.UTF_8);
    return new DevIssuer(generated);
  }

  public JWKSet publicJwks() {
    return new JWKSet(key.toPublicJWK());
  }

  /** Mints a token: {@code tenantId} null for an operator token. */
  public String mint(String subject, String tenantId, List<String> roles, List<String> groups, long ttlSeconds,
                     String audience) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject(subject)
        .audience(audience)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(ttlSeconds)))
        .jwtID(UUID.randomUUID().toString())
        .claim("roles", roles);
    if (tenantId != null) {
      claims.claim("tid", tenantId);
    }
    if (!groups.isEmpty()) {
      claims.claim("groups", groups);
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).keyID(key.getKeyID()).build(),
        claims.build());
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a dev token", e);
    }
    return jwt.serialize();
  }
}
