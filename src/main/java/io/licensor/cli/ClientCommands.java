package io.licensor.cli;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

/** The RMS client in miniature: {@code licensor protect} and {@code licensor open}. */
public final class ClientCommands {

  static final Set<String> RIGHTS = Set.of("VIEW", "EDIT", "PRINT", "EXPORT", "FORWARD", "OWNER");
  /** The largest file protect and open handle (both hold it in memory). */
  static final long MAX_CONTENT_BYTES = 512L * 1024 * 1024;
  private static final long CLOCK_SKEW_SECONDS = 60;

  private ClientCommands() {
  }

  @Command(name = "protect", mixinStandardHelpOptions = true,
      description = "Protect a file for a tenant: encrypt it with AES-256-GCM under a fresh content key, and embed the "
          + "publishing license (the content key wrapped under the tenant's current key version, with the policy) "
          + "that the server makes for the caller (a user of the tenant).")
  public static final class Protect extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "FILE", description = "the file to protect")
    Path file;

    @Option(names = "--tenant", required = true, paramLabel = "TENANT", description = "the tenant whose key protects the file")
    String tenant;

    @Option(names = "--grant", paramLabel = "PRINCIPAL:RIGHTS",
        description = "who may do what, e.g. bob@contoso.com:VIEW,PRINT, *@contoso.com:VIEW, group:legal:OWNER, *:VIEW "
            + "(repeat; rights: VIEW, EDIT, PRINT, EXPORT, FORWARD, OWNER); with --template, within its recipient rights")
    List<String> grants;

    @Option(names = "--template", paramLabel = "TEMPLATE_ID",
        description = "a rights template of the tenant (licensor template list), e.g. do-not-forward")
    String template;

    @Option(names = "--offline-access", paramLabel = "SECONDS",
        description = "how long a use license may be used without asking again (0: always online; bounded by the tenant)")
    Long offlineAccess;

    @Option(names = "--not-after", paramLabel = "INSTANT", description = "no license after this ISO-8601 instant")
    Instant notAfter;

    @Option(names = "--license-ttl", paramLabel = "SECONDS", description = "lifetime of each use license (default: the server's)")
    Long licenseTtl;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "the protected file (default: FILE.lprot)")
    Path outFile;

    @Override
    protected int execute() throws IOException {
      if (template == null && (grants == null || grants.isEmpty())) {
        throw new CliException(CliException.USAGE, "name who may open it: --grant PRINCIPAL:RIGHTS, or --template TEMPLATE_ID");
      }
      JsonArray grantList = new JsonArray();
      for (String g : grants == null ? List.<String>of() : grants) {
        grantList.add(grant(g));
      }
      byte[] content = readContent(file);
      Path target = outFile != null ? outFile : file.resolveSibling(file.getFileName() + ".lprot");
      SecureRandom random = new SecureRandom();
      byte[] contentKey = new byte[32];
      random.nextBytes(contentKey);
      try {
        JsonObject policy = new JsonObject();
        if (template != null) {
          policy.put("template", template);
        }
        if (!grantList.isEmpty()) {
          policy.put("grants", grantList);
        }
        if (offlineAccess != null) {
          policy.put("offlineAccessSeconds", offlineAccess);
        }
        if (notAfter != null) {
          policy.put("notAfter", notAfter.getEpochSecond());
        }
        if (licenseTtl != null) {
          policy.put("licenseTtlSeconds", licenseTtl);
        }
        String contentId = UUID.randomUUID().toString();
        JsonObject published = server.api().post(TenantCommands.tenantPath(tenant) + "/publishing-licenses",
            new JsonObject().put("contentId", contentId).put("policy", policy)
                .put("contentKey", Base64.getUrlEncoder().withoutPadding().encodeToString(contentKey)));
        JsonObject header = new JsonObject().put("format", "licensor-protected/1").put("tenant", tenant)
            .put("contentId", contentId).put("kid", published.getString("kid"))
            .put("publishingLicense", published.getString("publishingLicense"))
            .put("iv", Base64.getUrlEncoder().withoutPadding().encodeToString(ProtectedFile.freshIv(random)))
            .put("name", file.getFileName().toString());
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try (OutputStream out = Files.newOutputStream(partial)) {
          ProtectedFile.write(out, header, contentKey, content);
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        out().println("protected " + file + " -> " + target + " (tenant " + tenant + ", key " + published.getString("kid")
            + ", content " + contentId + ")");
        return 0;
      } finally {
        Arrays.fill(contentKey, (byte) 0);
      }
    }

    /** {@code PRINCIPAL:RIGHTS}; the principal may itself hold ':' (group:NAME), so the last ':' splits. */
    static JsonObject grant(String text) {
      int colon = text.lastIndexOf(':');
      if (colon <= 0 || colon == text.length() - 1) {
        throw new CliException(CliException.USAGE, "--grant " + text + ": expected PRINCIPAL:RIGHTS, e.g. bob@contoso.com:VIEW,PRINT");
      }
      JsonArray rights = new JsonArray();
      for (String r : text.substring(colon + 1).split(",")) {
        String right = r.trim().toUpperCase(Locale.ROOT);
        if (!RIGHTS.contains(right)) {
          throw new CliException(CliException.USAGE, "--grant " + text + ": unknown right '" + r.trim() + "' (rights: VIEW, EDIT, "
              + "PRINT, EXPORT, FORWARD, OWNER)");
        }
        rights.add(right);
      }
      return new JsonObject().put("principal", text.substring(0, colon)).put("rights", rights);
    }
  }

  @Command(name = "open", mixinStandardHelpOptions = true,
      description = "Open a protected file as the caller: acquire a use license for a fresh key of this client, verify "
          + "it against the tenant's published keys, decrypt, and do only what its rights allow: writing the content "
          + "to standard output needs VIEW, saving a decrypted copy (--out) needs EXPORT.")
  public static final class Open extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "FILE", description = "a file made by licensor protect")
    Path file;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
        description = "save a decrypted copy here (needs the EXPORT right; written 0600)")
    Path outFile;

    @Option(names = "--force", description = "replace --out if it exists")
    boolean force;

    @Override
    protected int execute() throws IOException, JOSEException {
      if (outFile != null) {
        SecretFiles.refuseExisting(outFile, force, "--out");
      }
      ProtectedFile protectedFile;
      try (InputStream in = Files.newInputStream(file)) {
        if (Files.size(file) > MAX_CONTENT_BYTES + ProtectedFile.MAX_HEADER + 64) {
          throw new CliException(CliException.USAGE, file + " is larger than any file licensor protect makes");
        }
        protectedFile = ProtectedFile.read(in);
      } catch (NoSuchFileException e) {
        throw new CliException(CliException.USAGE, "no such file: " + file);
      }
      String tenant = protectedFile.tenant();
      ECKey clientKey = new ECKeyGenerator(Curve.P_256).keyID("licensor-cli").generate();
      ApiClient api = server.api();
      JsonObject issued;
      try {
        issued = api.post(TenantCommands.tenantPath(tenant) + "/licenses", new JsonObject()
            .put("publishingLicense", protectedFile.publishingLicense())
            .put("recipientKey", new JsonObject(clientKey.toPublicJWK().toJSONObject())));
      } catch (CliException e) {
        throw new CliException(e.exitCode(), "cannot open " + file + ": " + e.getMessage(), e.slug());
      }
      UseLicense license = verify(issued.getString("useLicense"), server.anonymous(), tenant, protectedFile.contentId(), clientKey);
      String needed = outFile != null ? "EXPORT" : "VIEW";
      if (!license.rights.contains(needed) && !license.rights.contains("OWNER")) {
        throw new CliException(CliException.REFUSED, "cannot open " + file + ": the license grants " + license.subject
            + " " + String.join(", ", license.rights) + ", not " + needed
            + (outFile != null ? " (saving a decrypted copy needs EXPORT)" : " (reading the content needs VIEW)"));
      }
      byte[] contentKey = license.contentKey(clientKey);
      byte[] content;
      try {
        content = protectedFile.decrypt(contentKey);
      } finally {
        Arrays.fill(contentKey, (byte) 0);
      }
      if (outFile != null) {
        SecretFiles.write(outFile, content, force, "--out");
      } else {
        OutputStream contentOut = Env.contentOut();
        contentOut.write(content);
        contentOut.flush();
      }
      progress("opened " + file + " as " + license.subject + " (rights " + String.join(", ", license.rights) + "; license "
          + license.kid + ", valid until " + Instant.ofEpochSecond(license.expiresAt) + ")"
          + (outFile != null ? "; saved to " + outFile : ""));
      return 0;
    }

    record UseLicense(String kid, String subject, List<String> rights, long expiresAt, String contentKeyJwe) {
      byte[] contentKey(ECKey clientKey) {
        try {
          JWEObject jwe = JWEObject.parse(contentKeyJwe);
          jwe.decrypt(new ECDHDecrypter(clientKey));
          byte[] key = jwe.getPayload().toBytes();
          if (key.length != 32) {
            throw new CliException(CliException.REFUSED, "the use license's content key is not 32 bytes");
          }
          return key;
        } catch (ParseException | JOSEException e) {
          throw new CliException(CliException.REFUSED, "the use license's content key does not decrypt with this client's key");
        }
      }
    }

    /**
     * Checks the use license as an RMS client must: signed by a published, non-destroyed key of the
     * tenant (fetched from jwks.json, never from the license), for this content, bound to this
     * client's key (cnf.jkt), and valid now.
     */
    static UseLicense verify(String compact, ApiClient publicApi, String tenant, String contentId, ECKey clientKey)
        throws JOSEException {
      JWSObject jws;
      try {
        jws = JWSObject.parse(compact);
      } catch (ParseException e) {
        throw new CliException(CliException.REFUSED, "the server's use license is not a JWS");
      }
      String kid = jws.getHeader().getKeyID();
      JWKSet keys;
      try {
        keys = JWKSet.parse(publicApi.get(TenantCommands.tenantPath(tenant) + "/jwks.json").encode());
      } catch (ParseException e) {
        throw new CliException(CliException.REFUSED, "the tenant's jwks.json does not parse");
      }
      JWK key = kid == null ? null : keys.getKeyByKeyId(kid);
      if (key == null) {
        throw new CliException(CliException.REFUSED, "the use license names key " + kid + ", which " + tenant
            + " does not publish");
      }
      String alg = jws.getHeader().getAlgorithm().getName();
      JWSVerifier verifier = switch (alg) {
        case "PS256" -> new RSASSAVerifier(key.toRSAKey());
        case "ES256", "ES384" -> new ECDSAVerifier(key.toECKey());
        default -> throw new CliException(CliException.REFUSED, "the use license uses " + alg + ", which this client does not accept");
      };
      if (!jws.verify(verifier)) {
        throw new CliException(CliException.REFUSED, "the use license's signature does not verify with " + kid);
      }
      JsonObject claims = new JsonObject(jws.getPayload().toString());
      long now = Instant.now().getEpochSecond();
      JsonObject cnf = claims.getJsonObject("cnf", new JsonObject());
      if (!("licensor:" + tenant).equals(claims.getString("iss")) || !contentId.equals(claims.getString("contentId"))
          || !clientKey.computeThumbprint().toString().equals(cnf.getString("jkt"))) {
        throw new CliException(CliException.REFUSED, "the use license is not for this tenant, content and client");
      }
      long exp = claims.getLong("exp", 0L);
      if (exp + CLOCK_SKEW_SECONDS < now || claims.getLong("nbf", 0L) - CLOCK_SKEW_SECONDS > now) {
        throw new CliException(CliException.REFUSED, "the use license is not valid now (check this machine's clock)");
      }
      Set<String> rights = new LinkedHashSet<>();
      for (Object r : claims.getJsonArray("rights", new JsonArray())) {
        rights.add(String.valueOf(r));
      }
      return new UseLicense(kid, claims.getString("sub"), new ArrayList<>(rights), exp, claims.getString("contentKey"));
    }
  }

  static byte[] readContent(Path file) throws IOException {
    try {
      if (Files.size(file) > MAX_CONTENT_BYTES) {
        throw new CliException(CliException.USAGE, file + " is larger than " + (MAX_CONTENT_BYTES >> 20) + " MiB");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new CliException(CliException.USAGE, "no such file: " + file);
    }
  }
}
