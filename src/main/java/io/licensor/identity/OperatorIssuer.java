package io.licensor.identity;

import com.nimbusds.jose.jwk.JWKSet;

/**
 * An operator issuer ({@code identity.operatorIssuers}): tokens it signs with {@code roles} ∋
 * {@code operator} are operators'. Its keys are inline ({@code jwks}), or fetched from the
 * provider: its {@code jwksUri}, or by OpenID Connect discovery when both are null.
 */
public record OperatorIssuer(String issuer, JWKSet jwks, String jwksUri) {

  public boolean remote() {
    return jwks == null;
  }
}
