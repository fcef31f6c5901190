// The browser bundle the node serves (src/main/resources/web/licensor-client.js) is this package,
// built by `npm run bundle`: it must be what a fresh build of these sources makes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..");

test("the committed browser bundle is a fresh build of src/", () => {
  const out = join(mkdtempSync(join(tmpdir(), "licensor-bundle-")), "licensor-client.js");
  execFileSync(join(pkg, "node_modules", ".bin", "esbuild"), ["src/index.ts", "--bundle", "--format=esm", "--target=es2022",
    "--legal-comments=inline", "--outfile=" + out, "--log-level=warning"], { cwd: pkg });
  const committed = readFileSync(join(pkg, "..", "..", "src", "main", "resources", "web", "licensor-client.js"), "utf8");
  assert.equal(committed, readFileSync(out, "utf8"), "run `npm run bundle` in sdk/js and commit the result");
});
