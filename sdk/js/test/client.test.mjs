// The JavaScript client against a real node: io.licensor.client.JavaScriptClientTest starts the node,
// makes the tenants and tokens, and runs `node --test` here with them in the environment.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import {
  LicensorClient, readContainer, AccessDeniedError, UnauthenticatedError, SubscriptionCancelledError, RateLimitedError,
  ContentRevokedError, ContentError, RightNotGrantedError, LicenseRejectedError, ProblemError,
} from "../dist/index.js";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these tests through JavaScriptClientTest (mvn test)`);
  return v;
};
const server = env("LICENSOR_URL");
const token = (name) => env("TOKEN_" + name);
const as = (name, extra = {}) => new LicensorClient({ server, token: token(name), ...extra });
const text = (s) => new TextEncoder().encode(s);
const str = (b) => new TextDecoder().decode(b);
const operator = env("OPERATOR_TOKEN");

async function call(method, path, body, bearer = operator) {
  const r = await fetch(new URL(path, server), { method, headers: { Authorization: "Bearer " + bearer, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => ({})) };
}

async function delegated(client, bytes) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    client.forgetLicenses();
    const { license } = await client.open(bytes, "VIEW");
    if (license.delegated || Date.now() > deadline) return license;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("offline publishing; bob opens with VIEW; carol is AccessDenied; EXPORT refused; forged token Unauthenticated", async () => {
  const alice = as("ALICE_JS");
  const made = await alice.protect("js-rsa", { grants: [{ principal: "bob@js-rsa.test", rights: ["VIEW", "PRINT"] }] }, text("Q3 plan"), { name: "plan.txt" });
  assert.equal(made.kid, "js-rsa:1");
  assert.ok(!Buffer.from(made.bytes).includes(Buffer.from("Q3 plan")), "the content is encrypted");
  const bob = as("BOB_JS");
  const opened = await bob.open(made.bytes, "VIEW");
  assert.equal(str(opened.content), "Q3 plan");
  assert.equal(opened.name, "plan.txt");
  assert.deepEqual(opened.license.rights, ["VIEW", "PRINT"]);
  assert.equal(opened.license.subject, "bob@js-rsa.test");
  await assert.rejects(bob.open(made.bytes, "EXPORT"), RightNotGrantedError);
  await assert.rejects(as("CAROL_JS").open(made.bytes), (e) => e instanceof AccessDeniedError && e instanceof ProblemError
    && e.status === 403 && e.slug === "access-denied" && typeof e.requestId === "string");
  await assert.rejects(as("FORGED_JS").open(made.bytes), UnauthenticatedError);
  writeFileSync(env("JS_MADE_FILE"), made.bytes);
});

test("a file the Java client protected opens here", async () => {
  const opened = await as("BOB_JS").open(new Uint8Array(readFileSync(env("JAVA_MADE_FILE"))), "VIEW");
  assert.equal(str(opened.content), "made by the Java client");
});

test("a delegated use license verifies with its certificate; jwks.json without it, or with another, is refused", async () => {
  const alice = as("ALICE_JS");
  const made = await alice.protect("js-rsa", { grants: [{ principal: "alice@js-rsa.test", rights: ["VIEW"] }] }, text("x5c"));
  const license = await delegated(alice, made.bytes);
  assert.ok(license.delegated, `a delegated license within 20 s: ${license.kid}`);
  assert.match(license.kid, /^js-rsa:1\.\d+$/);
  const rewriting = (rewrite) => async (url, init) => {
    const r = await fetch(url, init);
    if (!String(url).endsWith("/jwks.json")) return r;
    const set = await r.json();
    rewrite(set.keys);
    return new Response(JSON.stringify(set), { status: r.status, headers: r.headers });
  };
  const noCert = as("ALICE_JS", { fetch: rewriting((keys) => keys.forEach((k) => delete k.x5c)) });
  await assert.rejects(noCert.open(made.bytes), (e) => e instanceof LicenseRejectedError && /without its certificate/.test(e.message));
  // another tenant's delegated certificate in its place (valid, but for another key, from another version)
  const ecFile = await as("ALICE_EC").protect("js-ec", { grants: [{ principal: "alice@js-ec.test", rights: ["VIEW"] }] }, text("ec"));
  assert.ok((await delegated(as("ALICE_EC"), ecFile.bytes)).delegated);
  const other = await fetch(new URL("v1/tenants/js-ec/jwks.json", server)).then((r) => r.json());
  const foreign = other.keys.find((k) => k.x5c);
  assert.ok(foreign, "js-ec lists a delegated key");
  const wrongCert = as("ALICE_JS", { fetch: rewriting((keys) => keys.filter((k) => k.x5c).forEach((k) => { k.x5c = foreign.x5c; })) });
  await assert.rejects(wrongCert.open(made.bytes), LicenseRejectedError);
  // the version key changed (its modulus): the delegated certificate no longer verifies
  const swapped = as("ALICE_JS", { fetch: rewriting((keys) => {
    const version = keys.find((k) => k.kid === "js-rsa:1");
    version.n = version.n.replace(/^./, (c) => (c === "x" ? "y" : "x"));
  }) });
  await assert.rejects(swapped.open(made.bytes), LicenseRejectedError);
});

test("the cached current key is used until a response names another; then the new version", async () => {
  const alice = as("ALICE_EC");
  const policy = { grants: [{ principal: "*@js-ec.test", rights: ["VIEW"] }] };
  const one = await alice.protect("js-ec", policy, text("one"));
  assert.equal(one.kid, "js-ec:1");
  assert.equal((await call("POST", "v1/tenants/js-ec/keys/rekey", { origin: "service", algorithm: "EC-P256" })).status, 201);
  const two = await alice.protect("js-ec", policy, text("two"));
  assert.equal(two.kid, "js-ec:1", "within max-age the client keeps the key it holds");
  assert.equal(str((await alice.open(two.bytes)).content), "two");
  const three = await alice.protect("js-ec", policy, text("three"));
  assert.equal(three.kid, "js-ec:2");
  for (const f of [one, two, three]) assert.ok((await as("BOB_EC").open(f.bytes)).content.length > 0);
});

test("a use license is kept for its offline access: it opens through a cancel on the client that holds it, never with 0", async () => {
  const alice = as("ALICE_KEEP");
  const kept = await alice.protect("js-keep", { grants: [{ principal: "bob@js-keep.test", rights: ["VIEW"] }], offlineAccessSeconds: 3600 }, text("kept"), { publishing: "online" });
  const online = await alice.protect("js-keep", { grants: [{ principal: "bob@js-keep.test", rights: ["VIEW"] }], offlineAccessSeconds: 0 }, text("online"), { publishing: "online" });
  const bob = as("BOB_KEEP");
  const first = (await bob.open(kept.bytes)).license;
  assert.equal(first.offlineAccessSeconds, 3600);
  assert.equal((await bob.open(online.bytes)).license.offlineAccessSeconds, 0);
  assert.equal((await call("POST", "v1/tenants/js-keep/cancel", {})).status, 200);
  const again = await bob.open(kept.bytes);
  assert.equal(str(again.content), "kept");
  assert.equal(again.license.compact, first.compact);
  await assert.rejects(bob.open(online.bytes), SubscriptionCancelledError);
  await assert.rejects(as("BOB_KEEP").open(kept.bytes), SubscriptionCancelledError);
});

test("429 with Retry-After is waited and retried; with no retries, RateLimited carries it", async () => {
  const alice = as("ALICE_JS");
  const policy = { grants: [{ principal: "alice@js-rsa.test", rights: ["VIEW"] }] };
  const started = Date.now();
  for (let i = 0; i < 10; i++) await alice.protect("js-rsa", policy, text("n" + i), { publishing: "online" });
  assert.ok(Date.now() - started >= 1000, "ten requests at four a second had to wait");
  const impatient = as("ALICE_JS", { maxRetries: 0 });
  let limited;
  for (let i = 0; i < 10 && !limited; i++) {
    try {
      await impatient.protect("js-rsa", policy, text("x"), { publishing: "online" });
    } catch (e) {
      limited = e;
    }
  }
  assert.ok(limited instanceof RateLimitedError, String(limited));
  assert.equal(limited.status, 429);
  assert.ok(limited.retryAfterSeconds >= 1);
});

test("a changed container opens to nothing; not a container says so; a revoked document is ContentRevoked", async () => {
  const alice = as("ALICE_JS");
  const made = await alice.protect("js-rsa", { grants: [{ principal: "alice@js-rsa.test", rights: ["OWNER"] }], offlineAccessSeconds: 0 }, text("secret"));
  const changed = made.bytes.slice();
  changed[changed.length - 20] ^= 1;
  await assert.rejects(alice.open(changed), (e) => e instanceof ContentError && e.tampered);
  await assert.rejects(alice.open(text("plain text")), (e) => e instanceof ContentError && !e.tampered);
  const { contentId } = readContainer(made.bytes).header;
  assert.equal((await call("PUT", `v1/tenants/js-rsa/documents/${contentId}/revocation`, {}, token("ADMIN_JS"))).status, 200);
  await assert.rejects(alice.open(made.bytes), ContentRevokedError);
});
