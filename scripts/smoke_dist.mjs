// Smoke test of the built npm package: pack it, install the tarball in a fresh directory, and start
// a process from an ESM and a CommonJS program on Node, and from ESM on Bun and Deno.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(".");
const bin = (n) => join(root, "node_modules", ".bin", n);
const dir = mkdtempSync(join(tmpdir(), "mp-smoke-"));
let failed = 0;
let passed = 0;
try {
  const tgz = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { encoding: "utf8" }).trim().split("\n").pop();
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "smoke", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", join(dir, tgz)], { cwd: dir, stdio: "inherit" });
  writeFileSync(join(dir, "esm.mjs"), `import { Process, Pool, Queue, Lock, Manager, isMainProcess, currentProcess } from "multiproc";
export async function work(n, q, lock) {
  await using _ = await lock.hold();
  await q.put(n * 2);
  console.log("child", currentProcess().name, await q.get());
}
export function twice(x) { return x * 2; }
if (isMainProcess(import.meta)) {
  const p = new Process({ target: work, args: [21, new Queue(), new Lock()] });
  p.start(); await p.join();
  if (p.exitCode !== 0) process.exit(1);
  await using pool = new Pool(2);
  const r = await pool.map(twice, [1, 2, 3]);
  await using m = await Manager.start();
  const d = await m.dict({ a: 1 });
  if (r.join() !== "2,4,6" || (await d.get("a")) !== 1) process.exit(1);
}
`);
  writeFileSync(join(dir, "cjs.cjs"), `const { Event, Lock, Process } = require("multiproc");
(async () => {
  const lock = new Lock();                 // shared memory (and its waiter thread) from the CJS build
  await lock.acquire();
  const late = lock.acquire({ timeout: 2000 });
  setTimeout(() => lock.release(), 20);
  if (!(await late)) process.exit(1);       // woken when the lock was released
  if (await new Event().wait(10)) process.exit(1); // an unset event times out
  const p = new Process({ target: (n) => console.log("child", n * 2), args: [21] });
  p.start();
  await p.join();
  process.exit(p.exitCode === 0 ? 0 : 1);
})();
`);
  // The README idiom with a task that throws, from an entry script in its top-level await: the
  // error must settle (the parent must not wait for this module's import to rebuild its class).
  writeFileSync(join(dir, "hang.mjs"), `import { isMainProcess, Pool, ProcessPoolExecutor } from "multiproc";
export class Boom extends Error {}
export function explode(x) { throw new Boom("exploded on " + x); }
if (isMainProcess(import.meta)) {
  const pool = new Pool(2);
  const a = await pool.apply(explode, [1]).catch((e) => e.name);
  await pool.terminate();
  const ex = new ProcessPoolExecutor({ maxWorkers: 1 });
  const b = await ex.submit(explode, 2).result().catch((e) => e.name);
  await ex.shutdown();
  console.log("settled", a, b);
}
`);
  const child42 = /child .*42/;
  const settled = /settled Boom Boom/;
  const runs = [
    ["node esm", bin("node"), ["esm.mjs"], child42],
    ["node cjs", bin("node"), ["cjs.cjs"], child42],
    ["bun esm", bin("bun"), ["esm.mjs"], child42],
    ["deno esm", bin("deno"), ["run", "-A", "esm.mjs"], child42],
    ["node top-level await error", bin("node"), ["hang.mjs"], settled],
    ["bun top-level await error", bin("bun"), ["hang.mjs"], settled],
    ["deno top-level await error", bin("deno"), ["run", "-A", "hang.mjs"], settled],
  ];
  for (const [name, cmd, args, expected] of runs) {
    let out;
    try {
      out = execFileSync(cmd, args, { cwd: dir, encoding: "utf8", timeout: 60_000 });
    } catch (e) {
      out = `${e.message}`;
    }
    const ok = expected.test(out);
    console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${out.trim()}`);
    if (ok) passed++;
    else failed++;
  }
} catch (e) {
  console.error(e.message);
  failed++;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`smoke: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
