// Resident memory of one process, from /proc (Linux): for tree_rss's idle-worker and empty-script peers.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** VmRSS of `pid` in MiB, or undefined when it cannot be read (gone, or not Linux). */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The RSS of this runtime running an empty program (bench/fixtures/idle.mjs), read once it has
 * started and settled for `settleMs`.
 */
export async function emptyScriptRss(settleMs = 300): Promise<number | undefined> {
  const script = fileURLToPath(new URL("./fixtures/idle.mjs", import.meta.url));
  const deno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
  const child = spawn(process.execPath, deno ? ["run", script] : [script], { stdio: ["pipe", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("error", reject);
    child.once("exit", () => reject(new Error("empty script exited early")));
  });
  await sleep(settleMs);
  const rss = rssMiB(child.pid!);
  child.stdin!.end();
  await new Promise((r) => child.once("exit", r));
  return rss;
}
