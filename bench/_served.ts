// Runs this benchmark again with MULTIPROC_SHM=0 (the served fallback path) and returns its JSON line.
import { spawnSync } from "node:child_process";
import process from "node:process";

/** The result line of `<this runtime> <script> served` run with MULTIPROC_SHM=0, or null if it failed. */
export function runServed(script: string): Record<string, unknown> | null {
  const isDeno = typeof (globalThis as Record<string, unknown>).Deno !== "undefined";
  const args = [...(isDeno ? ["run", "-A"] : []), script, "served"];
  const r = spawnSync(process.execPath, args, {
    env: { ...process.env, MULTIPROC_SHM: "0" },
    encoding: "utf8",
    timeout: 120_000,
  });
  const line = (r.stdout ?? "").trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!line) {
    process.stderr.write(`served run failed: ${r.stderr}\n`);
    return null;
  }
  return JSON.parse(line);
}
