/**
 * The runtime adapter interface: the only door through which the rest of the library reaches the
 * host runtime's processes, sockets, signals and FFI. One implementation per runtime
 * (`node/adapter.ts`, `deno/adapter.ts`, `bun/adapter.ts`, each built from the same-named `net.ts`
 * and `shm.ts` beside it); {@linkcode detect} is the one place that tells the runtimes apart, and
 * {@linkcode runtime} is the adapter for the runtime we run on.
 *
 * @module
 */
import type { ShmNative } from "./shm.ts";
import { nodeAdapter } from "./node/adapter.ts";
import { denoAdapter } from "./deno/adapter.ts";
import { bunAdapter } from "./bun/adapter.ts";

/** Which runtime this process runs on. */
export type RuntimeName = "node" | "deno" | "bun";

/** What to start: a script of the same runtime, with environment and working directory. */
export interface SpawnOptions {
  /** Absolute path (or file URL string) of the script to run. */
  script: string;
  /** Extra environment variables, added to the parent's. */
  env?: Record<string, string>;
  /** Working directory of the child. */
  cwd?: string;
  /**
   * Bytes written to the child's stdin right after it starts (a secret: never put one in `env`, which
   * `/proc/<pid>/environ` shows for the child's whole life). The pipe then stays open and unwritten;
   * only the parent holds its write end, so the child reads EOF on it when the parent dies.
   */
  stdin?: Uint8Array;
}

/** A started child process, seen from its parent. */
export interface ChildHandle {
  /** The OS process id. */
  readonly pid: number;
  /** Resolves with Python-style exit code: `n` for exit(n), `-N` for signal N. */
  readonly exited: Promise<number>;
  /** Sends a signal (by name); no-op if the child is gone. */
  kill(signal: "SIGTERM" | "SIGKILL" | "SIGINT"): void;
  /** Stop this child from keeping the parent's event loop alive. */
  unref(): void;
  /** Let this child keep the parent's event loop alive until it exits. */
  ref(): void;
}

/** A bidirectional byte stream (a connected socket). */
export interface ByteStream {
  /**
   * Queue bytes for writing; returns false when the kernel buffer is full (see {@linkcode onDrain}).
   * `side`: buffers that travel beside these bytes, moved or shared (only a stream between threads
   * takes them; see `channel/port_buffers.ts`).
   */
  write(data: Uint8Array, side?: (ArrayBuffer | SharedArrayBuffer)[]): boolean;
  /**
   * Undefined when every byte written so far is in the kernel (it then reaches the peer even if this
   * process dies next); otherwise a promise that resolves once it is, and rejects if the stream
   * closes first.
   */
  flushed(): Promise<void> | undefined;
  /** Called for every chunk that arrives (with the buffers that came beside it, if any). Set once. */
  onData(cb: (chunk: Uint8Array, side?: (ArrayBuffer | SharedArrayBuffer)[]) => void): void;
  /** Called once when the stream ends or fails. */
  onClose(cb: () => void): void;
  /** Called when a previously full write buffer has drained. */
  onDrain(cb: () => void): void;
  /** Close the stream. */
  close(): void;
  /** Whether an open stream keeps the event loop alive. */
  ref(): void;
  unref(): void;
}

/** A listening socket. */
export interface Listener {
  /** The address others connect to (socket path, or `tcp:host:port`). */
  readonly address: string;
  close(): void;
}

/** Everything the library needs from a runtime. */
export interface RuntimeAdapter {
  readonly name: RuntimeName;
  /** Start a child of the same runtime running `script`. */
  spawn(options: SpawnOptions): ChildHandle;
  /** Listen for connections at `address` (a Unix socket path). */
  listen(address: string, onConnection: (stream: ByteStream) => void): Promise<Listener>;
  /** Connect to an address made by {@linkcode listen}. */
  connect(address: string): Promise<ByteStream>;
  /** Send a signal to any process by pid; false if it does not exist. */
  signal(pid: number, signal: "SIGTERM" | "SIGKILL" | "SIGINT" | 0): boolean;
  /** Terminate the current process now with `code`. */
  exit(code: number): never;
  /** Run `fn` when the process is about to exit (synchronous work only). */
  onExit(fn: () => void): void;
  /** Read an environment variable (undefined when absent or not permitted). */
  getEnv(name: string): string | undefined;
  /** Remove an environment variable from this process. */
  deleteEnv(name: string): void;
  /** Read exactly `n` bytes from this process's stdin, blocking; fewer only at end of input. */
  readStdin(n: number): Uint8Array;
  /** Path of the entry script of this process, or undefined. */
  mainScript(): string | undefined;
  /** `import.meta.main` where the runtime has it. */
  isMainModule(meta: ImportMeta): boolean | undefined;
  /**
   * Binds the libc calls shared memory needs (`shm.ts`), through this runtime's FFI. Never prompts
   * for a permission. Each call binds anew; `shm.ts` caches per thread.
   * @returns The binding, or a sentence saying why it cannot be made (no FFI permission, a missing
   * package).
   */
  loadShmNative(): ShmNative | string;
  /**
   * Writes the runtime's compile cache for the modules loaded so far, where the runtime has one
   * that it writes only at exit (Node's `NODE_COMPILE_CACHE`); a no-op elsewhere.
   */
  flushCompileCache(): void;
}

/** Detects the runtime this code runs on. */
export function detect(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno !== "undefined") return "deno";
  if (typeof g.Bun !== "undefined") return "bun";
  return "node";
}

/** The adapter for the current runtime. */
export const runtime: RuntimeAdapter = (() => {
  switch (detect()) {
    case "deno":
      return denoAdapter;
    case "bun":
      return bunAdapter;
    default:
      return nodeAdapter;
  }
})();
