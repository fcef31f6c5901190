package io.licensor.cli;

import io.licensor.config.ConfigLoader;
import io.licensor.config.LicensorConfig;
import io.licensor.identity.DevIssuer;
import io.vertx.core.json.JsonObject;

import java.io.IOException;

/** The local dev issuer's public keys, for a tenant made with --dev-identity (dev mode only). */
final class DevIdentity {

  private DevIdentity() {
  }

  static JsonObject jwks() {
    LicensorConfig cfg;
    try {
      cfg = ConfigLoader.fromFileAndEnv(null, Env.all());
    } catch (RuntimeException e) {
      throw new CliException(CliException.USAGE, "configuration error: " + e.getMessage());
    }
    if (!cfg.devEnabled()) {
      throw new CliException(CliException.USAGE, "--dev-identity needs dev mode (LICENSOR_DEV_ENABLED=true, on the "
          + "machine and data directory of the dev node); real tenants give --issuer and --jwks");
    }
    try {
      return new JsonObject(DevIssuer.loadOrCreate(cfg.dataDir()).publicJwks().toString());
    } catch (IOException e) {
      throw new CliException(CliException.USAGE, "cannot read the dev issuer under " + cfg.dataDir() + ": " + e.getMessage());
    }
  }
}
