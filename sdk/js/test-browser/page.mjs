// Drives the node's web page (/web/) in a real headless Chromium (Debian's, through puppeteer-core).
// Run by io.licensor.client.WebPageTest, which starts the node and gives the tokens:
//   PHASE=protect-open: alice signs in, protects a file in the browser (no request carries the content
//     or its key: the browser publishes offline), the protected bytes are saved to WORK_DIR; bob signs
//     in and opens it; carol is refused.
//   PHASE=refused: after the test cancelled the tenant, bob opens it again in a fresh page: refused.
import puppeteer from "puppeteer-core";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";

const env = (n) => {
  const v = process.env[n];
  if (!v) throw new Error(n + " is not set: run through WebPageTest");
  return v;
};
const url = new URL("web/", env("LICENSOR_URL")).toString();
const work = env("WORK_DIR");
const TEXT = "Q4 plan: acquire northwind\n";

const browser = await puppeteer.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check"],
});
const report = {};
try {
  const page = await browser.newPage();
  const requests = [];
  const errors = [];
  page.on("request", (r) => requests.push({ method: r.method(), url: r.url(), body: r.postData() ?? "" }));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const response = await page.goto(url, { waitUntil: "networkidle0" });
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-security-policy"] ?? "", /script-src 'self'/);

  async function signIn(who) {
    if (await page.$eval("#sign-out-button", (b) => !b.hidden)) await page.click("#sign-out-button");
    await page.$eval("#tenant", (e) => { e.value = ""; });
    await page.type("#tenant", "web");
    await page.$eval("#token", (e, t) => { e.value = t; }, env("TOKEN_" + who));
    await page.click("#sign-in-button");
    await page.waitForFunction(() => document.getElementById("who").textContent.startsWith("signed in"), { timeout: 10_000 });
  }

  async function openAs(who, file) {
    await signIn(who);
    const input = await page.$("#open-file");
    await input.uploadFile(file);
    await page.click("#open-button");
    await page.waitForFunction(() => !document.getElementById("open-status").textContent.endsWith("…"), { timeout: 20_000 });
    return page.evaluate(() => ({ status: document.getElementById("open-status").textContent,
      slug: document.getElementById("open-status").dataset.slug ?? null,
      ok: document.getElementById("open-status").className === "ok",
      content: document.getElementById("content").textContent }));
  }

  const lprot = join(work, "plan.txt.lprot");
  if (env("PHASE") === "protect-open") {
    await signIn("ALICE");
    const plain = join(work, "plan.txt");
    writeFileSync(plain, TEXT);
    await (await page.$("#protect-file")).uploadFile(plain);
    await page.type("#grants", "bob@web.test:VIEW");
    const before = requests.length;
    await page.click("#protect-button");
    await page.waitForFunction(() => !document.getElementById("protect-status").textContent.endsWith("…"), { timeout: 20_000 });
    const protectStatus = await page.$eval("#protect-status", (e) => ({ text: e.textContent, ok: e.className === "ok" }));
    assert.ok(protectStatus.ok, "protect: " + protectStatus.text + " " + errors.join("; "));
    const during = requests.slice(before).filter((r) => !r.url.startsWith("blob:"));
    report.protectRequests = during.map((r) => r.method + " " + new URL(r.url).pathname);
    assert.ok(during.every((r) => r.method === "GET"), "protecting sent only GETs (offline publishing): " + report.protectRequests);
    assert.ok(during.every((r) => !r.body.includes("Q4 plan")), "no request carries the content");
    const bytes = await page.evaluate(async () => {
      const a = document.getElementById("download");
      return Array.from(new Uint8Array(await (await fetch(a.href)).arrayBuffer()));
    });
    writeFileSync(lprot, Uint8Array.from(bytes));
    assert.ok(!Buffer.from(bytes).includes(Buffer.from("Q4 plan")), "the protected file holds no plain text");
    report.protected = protectStatus.text;

    const bob = await openAs("BOB", lprot);
    assert.ok(bob.ok, "bob opens: " + bob.status);
    assert.equal(bob.content, TEXT);
    report.bob = bob.status;
    const carol = await openAs("CAROL", lprot);
    assert.equal(carol.slug, "access-denied", carol.status);
    assert.equal(carol.content, "");
    report.carol = carol.status;
    // everything the page sent went to its own origin
    const origin = new URL(url).origin;
    assert.ok(requests.every((r) => r.url.startsWith(origin) || r.url.startsWith("blob:") || r.url.startsWith("data:")),
      "requests only to the node: " + requests.map((r) => r.url).join(", "));
  } else {
    assert.ok(readFileSync(lprot).length > 0);
    const bob = await openAs("BOB", lprot);
    assert.equal(bob.ok, false, bob.status);
    assert.equal(bob.slug, "subscription-cancelled", bob.status);
    assert.equal(bob.content, "");
    report.afterCancel = bob.status;
  }
  assert.deepEqual(errors.filter((e) => !/status of 40[0-9]/.test(e)), [], "no script errors");
  console.log("web-page " + JSON.stringify(report));
} finally {
  await browser.close();
}
