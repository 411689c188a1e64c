// Runs the conformance suite (tests/*.test.ts) under one runtime: `node scripts/test.mjs node|deno|bun`.
// The same files run unchanged under all three; this script only knows each runner's command line.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const runtime = process.argv[2];
const only = process.argv.slice(3);
const bin = (name) => {
  const local = join("node_modules", ".bin", name);
  return existsSync(local) ? local : name;
};
const files = only.length
  ? only
  : readdirSync("tests").filter((f) => f.endsWith(".test.ts")).sort().map((f) => join("tests", f));
const commands = {
  node: [bin("node"), ["--test", "--test-concurrency=1", "--test-timeout=120000", ...files]],
  deno: [bin("deno"), ["test", "-A", "--no-check", ...files]],
  bun: [bin("bun"), ["test", "--timeout", "120000", ...files.map((f) => "./" + f)]],
};
if (!commands[runtime]) {
  console.error(`usage: node scripts/test.mjs node|deno|bun [files...]`);
  process.exit(2);
}
const [cmd, args] = commands[runtime];
console.error(`\n=== ${runtime}: ${cmd} ${args.join(" ")}\n`);
const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, MULTIPROC_TEST_RUNTIME: runtime } });
process.exit(r.status ?? 1);
