// Validates every manifest in deploy/kubernetes/ offline against the Kubernetes API's own schemas
// (kubernetes-models: the OpenAPI schemas of Kubernetes 1.27, checked with ajv), as `kubectl apply
// --dry-run=server` would without a cluster: an unknown field, a wrong type or a missing required
// member is an error. Prints one line per object; exits 1 on the first file with an error.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const dir = process.argv[2] ?? "../../../deploy/kubernetes";
let failed = 0;
let checked = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
  const docs = parseAllDocuments(readFileSync(join(dir, file), "utf8"));
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      console.log(`${file}: YAML error: ${doc.errors[0].message}`);
      failed++;
      continue;
    }
    const obj = doc.toJS();
    if (obj == null) continue;
    const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
    const module = group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
    let Model;
    try {
      Model = (await import(`${module}/${obj.kind}`))[obj.kind];
    } catch (e) {
      console.log(`${file}: ${obj.apiVersion} ${obj.kind}: not a Kubernetes kind (${e.message})`);
      failed++;
      continue;
    }
    try {
      new Model(obj).validate();
      checked++;
      console.log(`ok ${file}: ${obj.kind} ${obj.metadata?.name}`);
    } catch (e) {
      failed++;
      console.log(`${file}: ${obj.kind} ${obj.metadata?.name}: ${e.message}`);
    }
  }
}
console.log(`${checked} object(s) valid, ${failed} invalid`);
process.exit(failed === 0 && checked > 0 ? 0 : 1);
