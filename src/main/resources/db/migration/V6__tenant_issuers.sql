-- Who trusts an issuer, and under which tenant claim: looked up at every tenant creation and
-- restore (an issuer is registered once, unless every tenant sharing it binds a tenant claim) and
-- when a token's issuer is not the tenant's own. Replaces V1's index on the issuer alone.
DROP INDEX tenants_issuer;
CREATE INDEX tenants_issuer_claim ON tenants ((identity ->> 'issuer'), (identity -> 'tenantClaim'));
