/**
 * The process-level operations every adapter shares (signal a pid, exit hook, environment, blocking
 * stdin read, `import.meta.main`), all through `node:process`/`node:fs`, which the three runtimes
 * implement alike.
 *
 * @module
 */
import * as fs from "node:fs";
import process from "node:process";
import type { RuntimeAdapter } from "./adapter.ts";

/** The {@linkcode RuntimeAdapter} methods that are the same on every runtime. */
export const commonOps: Pick<
  RuntimeAdapter,
  "signal" | "onExit" | "getEnv" | "deleteEnv" | "readStdin" | "isMainModule"
> = {
  signal(pid: number, signal: "SIGTERM" | "SIGKILL" | "SIGINT" | 0): boolean {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  },
  onExit(fn: () => void): void {
    process.on("exit", fn);
  },
  getEnv(name: string): string | undefined {
    try {
      return process.env[name];
    } catch {
      return undefined;
    }
  },
  deleteEnv(name: string): void {
    try {
      delete process.env[name];
    } catch { /* not permitted */ }
  },
  readStdin(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let got = 0;
    let nap: Int32Array | undefined;
    while (got < n) {
      let r: number;
      try {
        r = fs.readSync(0, out, got, n - got, null);
      } catch (e) {
        // stdin may be non-blocking (inherited that way): wait a little for the parent's write.
        const code = (e as { code?: string }).code;
        if (code !== "EAGAIN" && code !== "EWOULDBLOCK" && code !== "EINTR") break;
        Atomics.wait(nap ??= new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (r === 0) break;
      got += r;
    }
    return out.subarray(0, got);
  },
  isMainModule: (meta) => (meta as { main?: boolean }).main,
};
