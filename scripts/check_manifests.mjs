// jsr.json and package.json must export the same entry points, and agree on the version.
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const jsr = JSON.parse(readFileSync("jsr.json", "utf8"));
const a = Object.keys(pkg.exports).sort();
const b = Object.keys(jsr.exports).sort();
let ok = true;
if (JSON.stringify(a) !== JSON.stringify(b)) {
  console.error(`export keys differ: package.json ${a.join(",")} vs jsr.json ${b.join(",")}`);
  ok = false;
}
if (pkg.version !== jsr.version) {
  console.error(`versions differ: package.json ${pkg.version} vs jsr.json ${jsr.version}`);
  ok = false;
}
console.log(ok ? "manifests agree: 1 passed, 0 failed" : "manifests disagree");
process.exit(ok ? 0 : 1);
