/**
 * Deno adapter: `Deno.Command` spawns (a child gets exactly the parent's granted permissions, never
 * more), Unix sockets through `Deno.listen`/`Deno.connect` (`net.ts`), shared memory through
 * `Deno.dlopen` (`shm.ts`).
 *
 * @module
 */
import type { ChildHandle, RuntimeAdapter, SpawnOptions } from "../adapter.ts";
import { commonOps } from "../_common.ts";
import { exitCodeOf } from "../signals.ts";
import { denoConnect, denoListen } from "./net.ts";
import { loadDenoNative } from "./shm.ts";

interface _DenoChild {
  pid: number;
  status: Promise<{ code: number; signal: string | null }>;
  stdin: WritableStream<Uint8Array>;
  kill(sig?: string): void;
  ref(): void;
  unref(): void;
}
interface _DenoNs {
  execPath(): string;
  mainModule: string;
  exit(code: number): never;
  permissions: { querySync(d: { name: string }): { state: string } };
  Command: new (cmd: string, o: {
    args: string[];
    env?: Record<string, string>;
    cwd?: string;
    stdin: "piped";
    stdout: "inherit";
    stderr: "inherit";
  }) => { spawn(): _DenoChild };
}
declare const Deno: _DenoNs;

const _PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

/**
 * The `--allow-*` flags for the permissions this process holds in full. A permission granted only
 * for some paths or hosts reads as "prompt" here and is not passed on: a child never gets more than
 * its parent.
 */
export function permissionFlags(): string[] {
  const flags: string[] = [];
  for (const name of _PERMISSIONS) {
    try {
      if (Deno.permissions.querySync({ name }).state === "granted") flags.push(`--allow-${name}`);
    } catch { /* unknown permission name on this Deno */ }
  }
  return flags;
}

let _flags: string[] | undefined;

function _spawn(options: SpawnOptions): ChildHandle {
  _flags ??= permissionFlags();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ..._flags, options.script],
    env: options.env,
    cwd: options.cwd,
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // After the secret, stdin stays open and unwritten: the child's watchdog reads EOF on it when we die.
  const writer = child.stdin.getWriter();
  if (options.stdin) writer.write(options.stdin).catch(() => {}); // a child gone already fails on its own
  let done = false;
  const exited = child.status.then((s) => {
    done = true;
    return exitCodeOf(s.signal ? null : s.code, s.signal);
  });
  return {
    pid: child.pid,
    exited,
    kill: (sig) => {
      if (done) return;
      try {
        child.kill(sig);
      } catch { /* already gone */ }
    },
    // Deno throws BadResource for a child that has just exited.
    unref: () => {
      if (!done) {
        try {
          child.unref();
        } catch { /* exited */ }
      }
    },
    ref: () => {
      if (!done) {
        try {
          child.ref();
        } catch { /* exited */ }
      }
    },
  };
}

/** The Deno implementation of {@linkcode RuntimeAdapter}. */
export const denoAdapter: RuntimeAdapter = {
  name: "deno",
  spawn: _spawn,
  listen: denoListen,
  connect: denoConnect,
  ...commonOps,
  exit: (code) => Deno.exit(code),
  mainScript: () => Deno.mainModule,
  flushCompileCache: () => {},
  loadShmNative: loadDenoNative,
};
