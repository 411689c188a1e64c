/**
 * `Process`: a real OS process running a target, with Python's lifecycle (start, join, terminate,
 * kill, close, exitCode). The helpers about the process this code runs in (`currentProcess`,
 * `activeChildren`, `cpuCount`, `isMainProcess`, `exit`, ...) are in `process/current.ts`; what a
 * parent hands its child at spawn is in `process/setup.ts`.
 *
 * @module
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type ChildHandle, runtime } from "./runtime/adapter.ts";
import { moduleBeside } from "./runtime/module_beside.ts";
import { randomBytes } from "./channel/auth.ts";
import { randomHex } from "./runtime/crypto.ts";
import { encode, withTypeModules } from "./channel/codec.ts";
import type { Peer } from "./channel/peer.ts";
import { node } from "./core/node.ts";
import { runOptions, runSpec } from "./core/target.ts";
import { settledWithin } from "./core/settled_within.ts";
import { StateError } from "./errors.ts";
import { trackChild } from "./process/current.ts";
import { CHILD_TOKEN_BYTES, type ChildSetup } from "./process/setup.ts";

/**
 * Something a child can run: a function (exported from a module, or self-contained).
 *
 * @example
 * ```ts
 * import { isMainProcess, Pool, type Target } from "multiproc";
 * import assert from "node:assert/strict";
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta)) {
 *   // an export (the worker imports this module), and a self-contained arrow (sent as source text)
 *   const targets: Target<number>[] = [square, (x: number) => x + 1];
 *   await using pool = new Pool(1);
 *   assert.deepEqual(await Promise.all(targets.map((fn) => pool.apply(fn, [3]))), [9, 4]);
 * }
 * ```
 */
// deno-lint-ignore no-explicit-any
export type Target<R = unknown> = (...args: any[]) => R | Promise<R>;

/**
 * Options of {@linkcode Process}.
 *
 * @example
 * ```ts
 * import { currentProcess, isMainProcess, Process, type ProcessOptions } from "multiproc";
 * import assert from "node:assert/strict";
 * import { realpathSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import process from "node:process";
 * export function check(greeting: string) {
 *   assert.equal(currentProcess().name, "greeter");
 *   assert.equal(process.env.GREETING, greeting);
 *   assert.equal(realpathSync(process.cwd()), realpathSync(tmpdir()));
 * }
 * if (isMainProcess(import.meta)) {
 *   const options: ProcessOptions = {
 *     target: check,
 *     args: ["hi"],
 *     name: "greeter",
 *     env: { GREETING: "hi" },
 *     cwd: tmpdir(),
 *   };
 *   const p = new Process(options);
 *   p.start();
 *   await p.join();
 *   assert.equal(p.exitCode, 0);
 * }
 * ```
 */
export interface ProcessOptions {
  /** The function the child runs. */
  target?: Target;
  /** Module that exports `target` (default: inferred from the caller). */
  module?: string | URL;
  /** Arguments passed to `target`. */
  args?: unknown[];
  /** Process name (default `Process-N`). */
  name?: string;
  /** Daemon children are terminated when their parent exits (default: the creator's flag). */
  daemon?: boolean;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
  /** Working directory of the child. */
  cwd?: string;
}

const _BOOTSTRAP: string = fileURLToPath(moduleBeside(import.meta.url, "./child/bootstrap.ts", "bootstrap"));

const _GUARD_MESSAGE: string = "A process was started while a child process was importing its target's module. " +
  "A script that starts processes must guard its entry point, or every child would start processes again:\n\n" +
  "  if (isMainProcess(import.meta)) {\n    // start processes here\n  }\n\n" +
  "In CommonJS: if (require.main === module) { ... }\n";

/** How long an exit waits for the child's link to report its end before `join()` returns anyway. */
const _LINK_GONE_MS = 2000;

/** Set by the class's static block: gives the child its own `Process` object. */
let _makeCurrent: (p: Process) => void;

/**
 * A process that runs `target(...args)` (or an overridden {@linkcode Process.run}) in a new OS
 * process of the same runtime, like Python's `multiprocessing.Process` with the `spawn` method.
 *
 * @example
 * ```ts
 * import { Process, isMainProcess } from "multiproc";
 * export function greet(who: string) { console.log("hello", who); }
 * if (isMainProcess(import.meta)) {
 *   const p = new Process({ target: greet, args: ["world"] });
 *   p.start();
 *   await p.join();
 *   console.log(p.exitCode); // 0
 * }
 * ```
 */
export class Process implements AsyncDisposable {
  #target: Target | undefined;
  #module: string | undefined;
  #args: unknown[];
  #name: string;
  #daemon: boolean;
  #env: Record<string, string> | undefined;
  #cwd: string | undefined;
  #identity: number[];
  #handle: ChildHandle | undefined;
  #exited: Promise<number> | undefined;
  #exitCode: number | null = null;
  #closed = false;
  #current = false;
  #peer: Peer | undefined;

  static {
    _makeCurrent = (p) => {
      p.#current = true;
      p.#name = node.name;
      p.#daemon = node.daemon;
    };
  }

  /**
   * Creates the process object; the OS process starts with {@linkcode Process.start}.
   * @param options What to run and how.
   * @throws {TypeError} If an option has the wrong type.
   */
  constructor(options: ProcessOptions = {}) {
    const run = runOptions("Process", options, new.target !== Process ? new.target : undefined);
    const { name, daemon, env, cwd } = options;
    if (env !== undefined && (typeof env !== "object" || env === null)) {
      throw new TypeError("Process env must be an object of strings");
    }
    if (cwd !== undefined && typeof cwd !== "string") throw new TypeError("Process cwd must be a string");
    this.#target = run.target;
    this.#args = run.args;
    this.#module = run.module;
    this.#identity = [...node.identity, node.nextNumber(0)];
    this.#name = name ?? `Process-${this.#identity.join(":")}`;
    this.#daemon = daemon ?? node.daemon;
    this.#env = env;
    this.#cwd = cwd;
  }

  /** The process name (only used for display). */
  get name(): string {
    return this.#name;
  }
  set name(v: string) {
    if (typeof v !== "string") throw new TypeError("Process name must be a string");
    this.#name = v;
  }

  /** Whether this is a daemon process; settable only before start. */
  get daemon(): boolean {
    return this.#daemon;
  }
  set daemon(v: boolean) {
    if (this.#handle) throw new StateError("Cannot change daemon of a process that has started");
    this.#daemon = Boolean(v);
  }

  /** OS process id, undefined before start. */
  get pid(): number | undefined {
    return this.#current ? process.pid : this.#handle?.pid;
  }

  /** Null while running or unstarted; the exit code (or -N for signal N) once it has exited. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** Runs the target in this process. Override it in a subclass to run your own code in the child. */
  run(): unknown {
    return this.#target?.(...this.#args);
  }

  /**
   * Starts the child process now.
   * @throws {StateError} If already started, closed, or called in a daemon process.
   * @throws {TypeError} If an argument cannot be sent to another process.
   */
  start(): void {
    this.#checkOpen();
    if (this.#handle || this.#current) {
      throw new StateError(`${this.#name} has already been started: a process can be started only once`);
    }
    if (node.daemon) {
      throw new StateError("Daemon processes are not allowed to start children (set daemon: false on the parent)");
    }
    if (node.importing) throw new Error(_GUARD_MESSAGE);
    const { spec: target, fields } = runSpec(this, Process, this.#target, this.#module);
    const [payload, needs] = withTypeModules(() => encode({ args: this.#args, fields }, "args"));
    const id = randomHex(8);
    const token = randomBytes(CHILD_TOKEN_BYTES);
    const parentAddress = node.address;
    node.expectChild(id, token, (peer) => {
      this.#peer = peer;
      const setup: ChildSetup = {
        authkey: node.authkey,
        name: this.#name,
        identity: this.#identity,
        daemon: this.#daemon,
        parent: { name: node.name, pid: process.pid },
        rootPid: node.rootPid,
        treeDir: node.treeDir,
        parentAddress,
        target,
        payload,
        needs,
      };
      peer.notify("node", "setup", [setup]);
    });
    let handle: ChildHandle;
    try {
      handle = runtime.spawn({
        script: _BOOTSTRAP,
        // The token goes over stdin, never into the environment (readable in /proc for the child's life).
        env: { ...this.#env, MULTIPROC_CHILD: `${parentAddress}\n${id}` },
        stdin: token,
        cwd: this.#cwd,
      });
    } catch (e) {
      node.forgetChild(id);
      throw e;
    }
    this.#handle = handle;
    if (this.#daemon) handle.unref();
    const untrack = trackChild(this);
    this.#exited = handle.exited.then((code) => this.#linkGone().then(() => code)).then((code) => {
      this.#exitCode = code;
      untrack();
      node.forgetChild(id);
      return code;
    }, () => {
      this.#exitCode = 1;
      untrack();
      return 1;
    });
  }

  /**
   * Waits until the process exits, or at most `timeout` ms (no error on timeout: check
   * {@linkcode exitCode}).
   * @throws {StateError} If the process was never started or is closed.
   */
  async join(timeout?: number): Promise<void> {
    this.#checkOpen();
    if (this.#current) throw new StateError("A process cannot join itself");
    if (!this.#exited) throw new StateError(`Cannot join ${this.#name}: it has not been started`);
    if (this.#exitCode !== null) return;
    // A daemon child does not keep us alive, except while someone waits for it.
    if (this.#daemon) this.#handle!.ref();
    try {
      await settledWithin(this.#exited, timeout, "join()");
    } finally {
      if (this.#daemon) this.#handle!.unref();
    }
  }

  /** Whether the process has started and not yet exited. */
  isAlive(): boolean {
    this.#checkOpen();
    if (this.#current) return true;
    return this.#handle !== undefined && this.#exitCode === null;
  }

  /** Sends SIGTERM. @throws {StateError} If not started or closed. */
  terminate(): void {
    this.#signal("SIGTERM");
  }

  /** Sends SIGKILL. @throws {StateError} If not started or closed. */
  kill(): void {
    this.#signal("SIGKILL");
  }

  /**
   * Releases the process object; later `start`, `join`, `isAlive`, `terminate` throw.
   * @throws {StateError} If the process is still running.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#handle && this.#exitCode === null) {
      throw new StateError(`Cannot close ${this.#name} while it is running: call terminate() and join() first`);
    }
    this.#peer?.close();
    this.#closed = true;
  }

  /** Terminates the process if it is alive, then waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed || !this.#handle) return;
    if (this.#exitCode === null) this.terminate();
    await this.join();
  }

  /** Resolves with the exit code once the process has exited (used by `wait()`). */
  get _exited(): Promise<number> | undefined {
    return this.#exited;
  }

  /**
   * Resolves once this process has seen the end of its link to the exited child, so whatever the
   * objects it serves do about a departed process (drop its waiters, release its leases) is done
   * by the time `join()` returns: the exit is often reported before the socket's EOF is read.
   * Bounded, in case the EOF never comes (the socket was inherited by a process still alive).
   */
  #linkGone(): Promise<void> {
    const peer = this.#peer;
    if (!peer || peer.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, _LINK_GONE_MS);
      peer.onClose(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #signal(sig: "SIGTERM" | "SIGKILL"): void {
    this.#checkOpen();
    if (!this.#handle) throw new StateError(`Cannot signal ${this.#name}: it has not been started`);
    if (this.#exitCode === null) this.#handle.kill(sig);
  }

  #checkOpen(): void {
    if (this.#closed) throw new StateError(`${this.#name} is closed`);
  }
}

/**
 * Re-creates, in the child, the `Process` object its parent started (for a subclass: from the
 * class and the instance's own fields, without running the subclass's constructor) and marks it current.
 */
export function currentProcessObject(
  cls: new (...a: unknown[]) => unknown,
  fields: Record<string, unknown> | undefined,
): Process {
  if (cls !== Process && !(cls.prototype instanceof Process)) {
    throw new TypeError(`${cls.name} is not a Process subclass`);
  }
  const p = Reflect.construct(Process, [{ name: node.name }], cls) as Process;
  Object.assign(p, fields);
  _makeCurrent(p);
  return p;
}

export { _GUARD_MESSAGE as GUARD_MESSAGE };
