// The web page's logic: the JavaScript client (licensor-client.js, the sdk/js bundle) in the browser.
// Nothing here writes HTML from data: text goes through textContent only.
import { LicensorClient, ProblemError, RightNotGrantedError, RIGHTS } from "/web/licensor-client.js";

const $ = (id) => document.getElementById(id);
let client = null;
let tenant = null;
const urls = [];

function status(el, text, ok, slug) {
  el.textContent = text;
  el.className = ok ? "ok" : "error";
  if (slug) el.dataset.slug = slug; else delete el.dataset.slug;
}

function describe(e) {
  if (e instanceof ProblemError) return { text: `${e.title} (${e.slug}): ${e.detail ?? ""}`, slug: e.slug };
  return { text: e.message || String(e), slug: e instanceof RightNotGrantedError ? "right-not-granted" : e.name };
}

function subject(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)).sub;
  } catch {
    return undefined;
  }
}

function blobUrl(bytes, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  urls.push(url);
  return url;
}

function signOut() {
  client?.forgetLicenses();
  client = null;
  tenant = null;
  urls.splice(0).forEach((u) => URL.revokeObjectURL(u));
  $("token").value = "";
  $("content").textContent = "";
  for (const id of ["download", "save", "sign-out-button"]) $(id).hidden = true;
  $("protect-button").disabled = $("open-button").disabled = true;
  $("sign-in-button").hidden = false;
  status($("who"), "signed out", true);
}

$("sign-in-button").addEventListener("click", () => {
  const token = $("token").value.trim();
  const t = $("tenant").value.trim();
  if (!token || !t) return status($("who"), "give the tenant and a token", false);
  const sub = subject(token);
  if (!sub) return status($("who"), "that is not a JWT with a sub", false);
  client = new LicensorClient({ server: location.origin, token });
  tenant = t;
  $("token").value = "";
  $("protect-button").disabled = $("open-button").disabled = false;
  $("sign-in-button").hidden = true;
  $("sign-out-button").hidden = false;
  status($("who"), `signed in to ${t} as ${sub}`, true);
});

$("sign-out-button").addEventListener("click", signOut);

function grants(text) {
  const out = [];
  for (const line of text.split(/[\n]+/).map((l) => l.trim()).filter(Boolean)) {
    const colon = line.lastIndexOf(":");
    if (colon <= 0 || colon === line.length - 1) throw new Error(`${line}: expected PRINCIPAL:RIGHTS, e.g. bob@contoso.com:VIEW,PRINT`);
    const rights = line.substring(colon + 1).split(",").map((r) => r.trim().toUpperCase());
    const unknown = rights.find((r) => !RIGHTS.includes(r));
    if (unknown) throw new Error(`${line}: unknown right '${unknown}' (rights: ${RIGHTS.join(", ")})`);
    out.push({ principal: line.substring(0, colon), rights });
  }
  return out;
}

$("protect-button").addEventListener("click", async () => {
  const el = $("protect-status");
  $("download").hidden = true;
  const file = $("protect-file").files[0];
  if (!file) return status(el, "choose a file", false);
  try {
    const policy = {};
    const g = grants($("grants").value);
    if (g.length) policy.grants = g;
    if ($("template").value.trim()) policy.template = $("template").value.trim();
    status(el, "protecting…", true);
    const made = await client.protect(tenant, policy, new Uint8Array(await file.arrayBuffer()), { name: file.name });
    const a = $("download");
    a.href = blobUrl(made.bytes, "application/octet-stream");
    a.download = file.name + ".lprot";
    a.hidden = false;
    a.dataset.contentId = made.contentId;
    status(el, `protected ${file.name} (key ${made.kid}, content ${made.contentId})`, true);
  } catch (e) {
    const d = describe(e);
    status(el, "cannot protect: " + d.text, false, d.slug);
  }
});

$("open-button").addEventListener("click", async () => {
  const el = $("open-status");
  $("content").textContent = "";
  $("save").hidden = true;
  const file = $("open-file").files[0];
  if (!file) return status(el, "choose a protected file", false);
  try {
    status(el, "opening…", true);
    const opened = await client.open(new Uint8Array(await file.arrayBuffer()), "VIEW");
    $("content").textContent = new TextDecoder().decode(opened.content);
    const l = opened.license;
    if (l.rights.includes("EXPORT") || l.rights.includes("OWNER")) {
      const a = $("save");
      a.href = blobUrl(opened.content, "application/octet-stream");
      a.download = opened.name ?? "opened";
      a.hidden = false;
    }
    status(el, `opened as ${l.subject} (rights ${l.rights.join(", ")}; valid until ${new Date(l.expiresAt * 1000).toISOString()})`, true);
  } catch (e) {
    const d = describe(e);
    status(el, "cannot open: " + d.text, false, d.slug);
  }
});
