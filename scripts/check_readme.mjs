// Runs every complete program in README.md (a ```ts block that uses the guard idiom) on Node, Deno
// and Bun, against this checkout's mod.ts, so the README cannot drift from the library.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(".");
const mod = pathToFileURL(join(root, "mod.ts")).href;
const bin = (n) => join(root, "node_modules", ".bin", n);
const blocks = [...readFileSync("README.md", "utf8").matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1])
  .filter((b) => b.includes("isMainProcess(import.meta)"));
const dir = mkdtempSync(join(tmpdir(), "mp-readme-"));
const runtimes = [["node", bin("node"), []], ["deno", bin("deno"), ["run", "-A"]], ["bun", bin("bun"), []]];
let passed = 0;
let failed = 0;
blocks.forEach((code, i) => {
  const file = join(dir, `readme_${i + 1}.ts`);
  writeFileSync(file, code.replaceAll('from "multiproc"', `from "${mod}"`));
  for (const [name, cmd, pre] of runtimes) {
    const r = spawnSync(cmd, [...pre, file], { encoding: "utf8", timeout: 60_000, cwd: root });
    if (r.status === 0) passed++;
    else {
      failed++;
      console.error(`README program ${i + 1} failed on ${name} (exit ${r.status}):\n${code}\n${r.stderr?.slice(-2000)}`);
    }
  }
});
rmSync(dir, { recursive: true, force: true });
console.log(`readme programs: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
