import {
  CompactEncrypt, calculateJwkThumbprint, compactDecrypt, compactVerify, decodeProtectedHeader, exportJWK,
  generateKeyPair, importJWK, type JWK, type CryptoKey as JoseKey,
} from "jose";
import { LicenseRejectedError, LicensorError, RightNotGrantedError, UnreachableError, problem } from "./errors.js";
import { b64u, fromB64u, read, seal, unseal, type Container } from "./container.js";
import { SIG_ECDSA_SHA256, SIG_ECDSA_SHA384, SIG_RSASSA_PSS, ecdsaRaw, parseCertificate } from "./x509.js";

export type Right = "VIEW" | "EDIT" | "PRINT" | "EXPORT" | "FORWARD" | "OWNER";
export const RIGHTS: readonly Right[] = ["VIEW", "EDIT", "PRINT", "EXPORT", "FORWARD", "OWNER"];

/** Who gets which rights: a user, `*@domain`, `*` or `group:NAME`. */
export interface Grant {
  principal: string;
  rights: Right[];
}

/** A publishing license's policy (docs/formats.md): grants and/or a template, an end, offline access. */
export interface Policy {
  grants?: Grant[];
  template?: string;
  /** epoch seconds */
  notAfter?: number;
  /** how long a use license may be used without asking again; 0: always online */
  offlineAccessSeconds?: number;
  licenseTtlSeconds?: number;
}

export interface CurrentKey {
  tenant: string;
  kid: string;
  version: number;
  algorithm: string;
  jwk: JWK;
  /** ms since the epoch: the cache's end (Cache-Control max-age) */
  freshUntil: number;
}

export interface PublishingLicense {
  tenant: string;
  contentId: string;
  kid: string;
  compact: string;
}

/** A use license this client verified. */
export interface UseLicense {
  compact: string;
  /** the key that signed it: the version's (`contoso:3`) or a delegated one (`contoso:3.17`) */
  kid: string;
  /** the key version that protected the content */
  versionKid: string;
  delegated: boolean;
  tenant: string;
  subject?: string;
  contentId: string;
  rights: Right[];
  issuedAt: number;
  expiresAt: number;
  offlineAccessSeconds: number;
  /** epoch seconds: until when it may be used again without asking, min(exp, iat + offlineAccessSeconds) */
  keepUntil: number;
}

export interface ClientOptions {
  /** the licensor server, e.g. https://rms.example.com */
  server: string | URL;
  /** the user's bearer token, or where the current one comes from (asked for each request) */
  token: string | (() => string | Promise<string>);
  /** the principal offline publishing names as publisher (default: the token's `sub`) */
  principal?: string;
  /** how often a 429/503 with Retry-After is retried after waiting what it says (default 3) */
  maxRetries?: number;
  /** the longest Retry-After waited (default 30 000 ms); beyond, the problem is thrown */
  maxRetryWaitMs?: number;
  /** fetch to use (default: the global one) */
  fetch?: typeof fetch;
}

export type Publishing = "offline" | "online";

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

const SKEW_SECONDS = 60;

function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function maxAge(cacheControl: string | null): number {
  const m = cacheControl ? /(?:^|,)\s*max-age=(\d+)/.exec(cacheControl) : null;
  return m ? Number(m[1]) : 0;
}

const rejected = (message: string) => new LicenseRejectedError(message);

/**
 * An RMS client of one licensor service acting for one user: offline publishing under the tenant's
 * cached current key (dropped when a response names another current kid), use licenses for a P-256
 * key of its own verified against jwks.json (delegated keys with their certificates) and kept for
 * their offline access, Retry-After honoured, one error class per problem slug. Works in Node (20+)
 * and in browsers: WebCrypto and fetch only.
 */
export class LicensorClient {
  private readonly base: URL;
  private readonly fetcher: typeof fetch;
  private readonly maxRetries: number;
  private readonly maxRetryWaitMs: number;
  private readonly currentKeys = new Map<string, CurrentKey>();
  private readonly jwks = new Map<string, { keys: JWK[]; fetchedAt: number; freshUntil: number }>();
  private readonly licenses = new Map<string, { license: UseLicense; contentKey: Uint8Array }>();
  private recipient?: Promise<{ privateKey: JoseKey; publicJwk: JWK; thumbprint: string }>;

  constructor(private readonly options: ClientOptions) {
    const base = new URL(String(options.server));
    if (base.protocol !== "https:" && base.protocol !== "http:") throw new TypeError("the server is an http(s) URL");
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    this.base = base;
    this.fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 30_000;
  }

  private static tenantPath(tenant: string): string {
    return "v1/tenants/" + encodeURIComponent(tenant);
  }

  private async send(method: string, path: string, body: unknown, authenticated: boolean): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
      if (authenticated) {
        const t = typeof this.options.token === "function" ? await this.options.token() : this.options.token;
        if (!t) throw new TypeError("no token: give the client a token");
        headers.Authorization = "Bearer " + t;
      }
      if (body !== undefined) headers["Content-Type"] = "application/json";
      let response: Response;
      try {
        response = await this.fetcher(new URL(path, this.base), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (e) {
        throw new UnreachableError(`cannot reach the server at ${this.base}: ${(e as Error).message}`);
      }
      const text = await response.text();
      let json: Record<string, unknown> = {};
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        if (response.ok) throw new LicensorError(`${method} /${path} answered ${response.status} with a body that is not JSON`);
      }
      if (response.ok) return { status: response.status, body: json, headers: response.headers };
      const wait = retryAfterSeconds(response.headers.get("Retry-After"));
      if ((response.status === 429 || response.status === 503) && wait !== undefined && attempt < this.maxRetries
          && wait * 1000 <= this.maxRetryWaitMs) {
        await new Promise((r) => setTimeout(r, wait * 1000));
        continue;
      }
      const type = typeof json.type === "string" ? json.type : undefined;
      const slug = type === undefined ? "http-" + response.status
        : type.startsWith("urn:licensor:problem:") ? type.substring("urn:licensor:problem:".length) : type;
      throw problem({ status: response.status, slug, title: typeof json.title === "string" ? json.title : `the server answered ${response.status}`,
        detail: typeof json.detail === "string" ? json.detail : undefined,
        requestId: typeof json.requestId === "string" ? json.requestId : undefined, retryAfterSeconds: wait });
    }
  }

  /** The tenant's current key version: from the cache while its max-age lasts, else fetched. */
  async currentKey(tenant: string): Promise<CurrentKey> {
    const kept = this.currentKeys.get(tenant);
    if (kept && Date.now() < kept.freshUntil) return kept;
    const a = await this.send("GET", LicensorClient.tenantPath(tenant) + "/keys/current", undefined, true);
    const b = a.body;
    if (typeof b.kid !== "string" || !b.kid.startsWith(tenant + ":") || typeof b.jwk !== "object" || b.jwk === null) {
      throw new LicensorError(`the tenant's current key does not read as {kid, version, algorithm, jwk}`);
    }
    const key: CurrentKey = { tenant, kid: b.kid, version: Number(b.version), algorithm: String(b.algorithm), jwk: b.jwk as JWK,
      freshUntil: Date.now() + maxAge(a.headers.get("Cache-Control")) * 1000 };
    this.currentKeys.set(tenant, key);
    return key;
  }

  private noticeCurrentKid(tenant: string, kid: unknown) {
    const kept = this.currentKeys.get(tenant);
    if (typeof kid === "string" && kept && kept.kid !== kid) this.currentKeys.delete(tenant);
  }

  private publisher(token: string | undefined): string {
    if (this.options.principal) return this.options.principal;
    const parts = (token ?? "").split(".");
    if (parts.length === 3) {
      try {
        const sub = JSON.parse(new TextDecoder().decode(fromB64u(parts[1]))).sub;
        if (typeof sub === "string" && sub) return sub;
      } catch {
        // below
      }
    }
    throw new TypeError("offline publishing names its publisher: give the client a principal (the token has no readable sub)");
  }

  /** A publishing license made here, offline, under the tenant's current key version. */
  async publish(tenant: string, policy: Policy, contentKey: Uint8Array, contentId: string): Promise<PublishingLicense> {
    if (contentKey.length !== 32) throw new RangeError("a content key is 32 bytes (AES-256)");
    const key = await this.currentKey(tenant);
    const token = typeof this.options.token === "function" ? await this.options.token() : this.options.token;
    const alg = key.jwk.kty === "RSA" ? "RSA-OAEP-256" : key.jwk.kty === "EC" ? "ECDH-ES+A256KW" : undefined;
    if (!alg) throw new LicensorError(`the tenant's current key is ${key.jwk.kty}, which this client cannot publish to`);
    const payload = { contentId, publisher: this.publisher(token), issuedAt: Math.floor(Date.now() / 1000), contentKey: b64u(contentKey), policy };
    const wrapping = await importJWK({ ...key.jwk, alg }, alg);
    const compact = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg, enc: "A256GCM", kid: key.kid, typ: "licensor-pl+jwe" }).encrypt(wrapping);
    return { tenant, contentId, kid: key.kid, compact };
  }

  /** A publishing license the server makes (POST .../publishing-licenses). */
  async publishOnline(tenant: string, policy: Policy, contentKey: Uint8Array, contentId: string): Promise<PublishingLicense> {
    if (contentKey.length !== 32) throw new RangeError("a content key is 32 bytes (AES-256)");
    const a = await this.send("POST", LicensorClient.tenantPath(tenant) + "/publishing-licenses", { contentId, policy, contentKey: b64u(contentKey) }, true);
    this.noticeCurrentKid(tenant, a.headers.get("Licensor-Current-Kid"));
    return { tenant, contentId, kid: String(a.body.kid), compact: String(a.body.publishingLicense) };
  }

  private recipientKey() {
    this.recipient ??= (async () => {
      const pair = await generateKeyPair("ECDH-ES+A256KW", { crv: "P-256" });
      const publicJwk = await exportJWK(pair.publicKey);
      return { privateKey: pair.privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, "sha256") };
    })();
    return this.recipient;
  }

  private async keys(tenant: string, refresh: boolean): Promise<JWK[]> {
    const kept = this.jwks.get(tenant);
    const now = Date.now();
    if (kept && !refresh && now < kept.freshUntil) return kept.keys;
    if (kept && refresh && now < kept.fetchedAt + 1000) return kept.keys;
    const a = await this.send("GET", LicensorClient.tenantPath(tenant) + "/jwks.json", undefined, false);
    if (!Array.isArray(a.body.keys)) throw rejected("the tenant's jwks.json is not a JWK Set");
    const keys = a.body.keys as JWK[];
    this.jwks.set(tenant, { keys, fetchedAt: now, freshUntil: now + maxAge(a.headers.get("Cache-Control")) * 1000 });
    return keys;
  }

  /** Verifies a use license as a strict client does (docs/formats.md). */
  async verify(compact: string, tenant: string, contentId: string): Promise<UseLicense> {
    let header;
    try {
      header = decodeProtectedHeader(compact);
    } catch {
      throw rejected("the server's use license is not a JWS");
    }
    const kid = header.kid;
    if (typeof kid !== "string" || !kid.startsWith(tenant + ":")) throw rejected(`the use license names key ${kid}, not a key of ${tenant}`);
    let jwk = (await this.keys(tenant, false)).find((k) => k.kid === kid);
    if (!jwk) jwk = (await this.keys(tenant, true)).find((k) => k.kid === kid);
    if (!jwk) throw rejected(`the use license names key ${kid}, which ${tenant} does not publish`);
    const dot = kid.indexOf(".", tenant.length + 1);
    const versionKid = dot < 0 ? kid : kid.substring(0, dot);
    const alg = header.alg;
    const fits = (alg === "PS256" && jwk.kty === "RSA") || (alg === "ES256" && jwk.kty === "EC" && jwk.crv === "P-256")
      || (alg === "ES384" && jwk.kty === "EC" && jwk.crv === "P-384");
    if (!fits || typeof alg !== "string") throw rejected(`the use license uses ${alg} with a ${jwk.kty} key, which this client does not accept`);
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(compact, await importJWK({ ...jwk, alg }, alg)));
    } catch {
      throw rejected(`the use license's signature does not verify with ${kid}`);
    }
    const claims = JSON.parse(new TextDecoder().decode(payload));
    const iat = Number(claims.iat), exp = Number(claims.exp);
    if (dot >= 0) {
      const versionKey = (await this.keys(tenant, false)).find((k) => k.kid === versionKid);
      await this.certified(header.x5c, jwk, versionKey, kid, versionKid, iat, exp);
    }
    const recipient = await this.recipientKey();
    if (claims.iss !== "licensor:" + tenant || claims.contentId !== contentId || claims.cnf?.jkt !== recipient.thumbprint) {
      throw rejected("the use license is not for this tenant, content and client");
    }
    const now = Date.now() / 1000;
    const nbf = claims.nbf === undefined ? iat : Number(claims.nbf);
    if (!(exp + SKEW_SECONDS >= now) || nbf - SKEW_SECONDS > now) throw rejected("the use license is not valid now (check this machine's clock)");
    const rights = RIGHTS.filter((r) => Array.isArray(claims.rights) && claims.rights.includes(r));
    const offline = typeof claims.offlineAccessSeconds === "number" ? claims.offlineAccessSeconds : Math.max(0, exp - iat);
    return { compact, kid, versionKid, delegated: dot >= 0, tenant, subject: claims.sub, contentId, rights, issuedAt: iat, expiresAt: exp,
      offlineAccessSeconds: offline, keepUntil: Math.min(exp, iat + offline) };
  }

  /** A delegated key's certificate: listed with it, for it, signed by its version's listed key, valid over the license. */
  private async certified(sent: unknown, key: JWK, versionKey: JWK | undefined, kid: string, versionKid: string, iat: number, exp: number) {
    const listed = key.x5c;
    if (!Array.isArray(listed) || listed.length === 0) throw rejected(`delegated key ${kid} is listed without its certificate`);
    if (Array.isArray(sent) && sent[0] !== listed[0]) throw rejected(`the use license's x5c is not the certificate ${kid} is listed with`);
    if (!versionKey) throw rejected(`delegated key ${kid} belongs to key version ${versionKid}, which is not published`);
    const der = Uint8Array.from(atob(listed[0]), (c) => c.charCodeAt(0));
    let cert;
    try {
      cert = parseCertificate(der);
    } catch (e) {
      throw rejected(`delegated key ${kid}'s certificate does not parse: ${(e as Error).message}`);
    }
    const certified = await crypto.subtle.exportKey("jwk", await crypto.subtle.importKey("spki", cert.spki as BufferSource,
      { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]).catch(() => { throw rejected(`delegated key ${kid}'s certificate holds no P-256 key`); }));
    if (certified.x !== key.x || certified.y !== key.y) throw rejected(`delegated key ${kid}'s certificate is for another key`);
    let ok = false;
    if (cert.signatureAlgorithm === SIG_RSASSA_PSS && versionKey.kty === "RSA") {
      const k = await crypto.subtle.importKey("jwk", { kty: "RSA", n: versionKey.n, e: versionKey.e }, { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]);
      ok = await crypto.subtle.verify({ name: "RSA-PSS", saltLength: 32 }, k, cert.signature as BufferSource, cert.tbs as BufferSource);
    } else if ((cert.signatureAlgorithm === SIG_ECDSA_SHA256 || cert.signatureAlgorithm === SIG_ECDSA_SHA384) && versionKey.kty === "EC") {
      const curve = versionKey.crv as string;
      const size = curve === "P-256" ? 32 : curve === "P-384" ? 48 : 66;
      const hash = cert.signatureAlgorithm === SIG_ECDSA_SHA256 ? "SHA-256" : "SHA-384";
      const k = await crypto.subtle.importKey("jwk", { kty: "EC", crv: curve, x: versionKey.x, y: versionKey.y }, { name: "ECDSA", namedCurve: curve }, false, ["verify"]);
      try {
        ok = await crypto.subtle.verify({ name: "ECDSA", hash }, k, ecdsaRaw(cert.signature, size) as BufferSource, cert.tbs as BufferSource);
      } catch {
        ok = false;
      }
    }
    if (!ok) throw rejected(`delegated key ${kid}'s certificate does not verify with ${versionKid}`);
    if (cert.subjectCn !== kid || cert.issuerCn !== versionKid) throw rejected(`delegated key ${kid}'s certificate names another key or issuer`);
    if (iat * 1000 < cert.notBefore.getTime() || exp * 1000 > cert.notAfter.getTime()) {
      throw rejected(`the use license is outside its delegated key's certificate validity`);
    }
  }

  /** A verified use license: the one kept while its offline access lasts, else a new one. */
  async acquire(tenant: string, publishingLicense: string, contentId: string): Promise<UseLicense> {
    return (await this.acquireKept(tenant, publishingLicense, contentId)).license;
  }

  private async acquireKept(tenant: string, publishingLicense: string, contentId: string) {
    const cacheKey = tenant + "/" + b64u(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(publishingLicense))));
    const kept = this.licenses.get(cacheKey);
    if (kept && Date.now() / 1000 < kept.license.keepUntil) return kept;
    this.licenses.delete(cacheKey);
    const recipient = await this.recipientKey();
    const a = await this.send("POST", LicensorClient.tenantPath(tenant) + "/licenses",
      { publishingLicense, recipientKey: recipient.publicJwk }, true);
    this.noticeCurrentKid(tenant, a.headers.get("Licensor-Current-Kid"));
    this.noticeCurrentKid(tenant, a.body.currentKid);
    if (typeof a.body.useLicense !== "string") throw rejected("the server's answer holds no useLicense");
    const license = await this.verify(a.body.useLicense, tenant, contentId);
    let contentKey: Uint8Array;
    try {
      const claims = JSON.parse(new TextDecoder().decode(fromB64u(a.body.useLicense.split(".")[1])));
      contentKey = (await compactDecrypt(claims.contentKey, recipient.privateKey)).plaintext;
    } catch {
      throw rejected("the use license's content key does not decrypt with this client's key");
    }
    if (contentKey.length !== 32) throw rejected("the use license's content key is not 32 bytes");
    const fresh = { license, contentKey };
    if (license.offlineAccessSeconds > 0) this.licenses.set(cacheKey, fresh);
    return fresh;
  }

  /** Drops the use licenses this client keeps (for example when its user signs out). */
  forgetLicenses() {
    for (const k of this.licenses.values()) k.contentKey.fill(0);
    this.licenses.clear();
  }

  /** Protects content for a tenant: a fresh content key, a publishing license, the container. */
  async protect(tenant: string, policy: Policy, content: Uint8Array, options: { name?: string; publishing?: Publishing } = {}):
      Promise<{ bytes: Uint8Array; contentId: string; kid: string }> {
    if (!policy.template && !(policy.grants && policy.grants.length)) {
      throw new TypeError("a policy names who may open the content: a grant, or a template");
    }
    const contentKey = crypto.getRandomValues(new Uint8Array(32));
    try {
      const contentId = crypto.randomUUID();
      const pl = options.publishing === "online" ? await this.publishOnline(tenant, policy, contentKey, contentId)
        : await this.publish(tenant, policy, contentKey, contentId);
      const bytes = await seal({ tenant, contentId, kid: pl.kid, publishingLicense: pl.compact, name: options.name }, contentKey, content);
      return { bytes, contentId, kid: pl.kid };
    } finally {
      contentKey.fill(0);
    }
  }

  /** Opens a container as this client's user, if its license grants `needed`: the content only if its tag verifies. */
  async open(bytes: Uint8Array, needed: Right = "VIEW"): Promise<{ license: UseLicense; content: Uint8Array; name?: string; container: Container }> {
    const container = read(bytes);
    const { license, contentKey } = await this.acquireKept(container.header.tenant, container.header.publishingLicense, container.header.contentId);
    if (!license.rights.includes(needed) && !license.rights.includes("OWNER")) {
      throw new RightNotGrantedError(license.rights, needed, license.subject);
    }
    return { license, content: await unseal(container, contentKey), name: container.header.name, container };
  }
}
