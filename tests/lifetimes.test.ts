// No stranded programs: a program that forgets a library handle (never closes or shuts it down)
// still ends by itself once its own work ends, and takes every process the library started with it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { fixture, isGone, RUNTIME, scriptCommand } from "./_helpers.ts";

const FORGOTTEN = fixture("forgotten.ts");
const MARKER = "LAST LINE";
const BUDGET_MS = 2000;

/** Parent pid of every process on the machine. */
function _parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(name), Number(fields[1]));
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** Adds every live descendant of `root` to `into`. */
function _collectTree(root: number, into: Set<number>): void {
  const parents = _parents();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!into.has(pid) && (ppid === root || into.has(ppid))) {
        into.add(pid);
        grew = true;
      }
    }
  }
}

interface _Run {
  /** ms from the marker line to the root's exit, or null if it did not exit within the budget. */
  exitAfter: number | null;
  /** ms from the marker line until every process of its tree was gone, or null. */
  treeGoneAfter: number | null;
  code: number | null;
  stdout: string;
  stderr: string;
  leftovers: number[];
  /** Socket folders of its tree left in the temp directory. */
  dirs: string[];
}

/** The socket folders the library made for the tree rooted at `pid`. */
function _treeDirs(pid: number): string[] {
  return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`multiproc-${pid}-`)).map((n) =>
    path.join(os.tmpdir(), n)
  );
}

/** Runs the fixture for `kind` as its own program and times its end after the marker. */
function _runForgotten(kind: string, env: Record<string, string> = {}): Promise<_Run> {
  const [cmd, argv] = scriptCommand(FORGOTTEN, [kind]);
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const tree = new Set<number>();
  let stdout = "";
  let stderr = "";
  let markerAt: number | null = null;
  let exitedAt: number | null = null;
  let code: number | null = null;
  // Watch the tree while it runs: every process the program starts is a descendant of it.
  const scan = setInterval(() => exitedAt === null && _collectTree(child.pid!, tree), 25);
  return new Promise((resolve) => {
    let finished = false;
    const finish = async () => {
      if (finished) return;
      finished = true;
      clearInterval(scan);
      clearTimeout(overall);
      let treeGoneAfter: number | null = null;
      if (markerAt !== null && exitedAt !== null) {
        const end = markerAt + BUDGET_MS;
        while (Date.now() < end && ![...tree].every(isGone)) await new Promise((r) => setTimeout(r, 10));
        if ([...tree].every(isGone)) treeGoneAfter = Date.now() - markerAt;
      }
      if (exitedAt === null) child.kill("SIGKILL");
      const leftovers = [...tree].filter((p) => !isGone(p));
      for (const pid of leftovers) {
        try {
          process.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      const dirs = _treeDirs(child.pid!);
      resolve({
        exitAfter: markerAt !== null && exitedAt !== null ? exitedAt - markerAt : null,
        treeGoneAfter,
        code,
        stdout,
        stderr,
        leftovers,
        dirs,
      });
    };
    const overall = setTimeout(finish, 60_000);
    child.stdout!.on("data", (d) => {
      stdout += d;
      if (markerAt === null && stdout.includes(MARKER)) {
        markerAt = Date.now();
        _collectTree(child.pid!, tree);
        setTimeout(finish, BUDGET_MS);
      }
    });
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (c) => {
      exitedAt = Date.now();
      code = c;
    });
    child.on("close", () => void finish());
  });
}

const KINDS: Array<[string, string, Record<string, string>]> = [
  ["manager", "Manager (and a proxy used by a child)", {}],
  ["manager-throws", "Manager, in a program that ends with an uncaught error", {}],
  ["manager-pending", "Manager whose awaited call waits for a child (the call keeps the program alive)", {}],
  ["pool", "Pool", {}],
  ["executor", "ProcessPoolExecutor", {}],
  ["queue", "Queue (put by a child, an item left in it)", {}],
  ["joinable", "JoinableQueue", {}],
  ["simple", "SimpleQueue", {}],
  ["pipe", "Pipe (a message left unread)", {}],
  ["handshake", "a daemon Process whose handshake is pending", {}],
  ["lock", "Lock (shared memory, left held)", {}],
  ["event", "Event (shared memory)", {}],
  ["condition", "Condition (shared memory)", {}],
  ["barrier", "Barrier (shared memory)", {}],
  ["lock", "Lock (served, left held)", { MULTIPROC_SHM: "0" }],
  ["event", "Event (served)", { MULTIPROC_SHM: "0" }],
  ["condition", "Condition (served)", { MULTIPROC_SHM: "0" }],
  ["barrier", "Barrier (served)", { MULTIPROC_SHM: "0" }],
];

for (const [kind, label, env] of KINDS) {
  test(`a forgotten ${label}: the program exits within 2 s of its last line, leaving no process`, async () => {
    const r = await _runForgotten(kind, env);
    if (process.env.MULTIPROC_LIFETIME_LOG) {
      fs.appendFileSync(
        process.env.MULTIPROC_LIFETIME_LOG,
        `${kind}${env.MULTIPROC_SHM ? "(served)" : ""}\t${r.exitAfter}\t${r.treeGoneAfter}\n`,
      );
    }
    assert.ok(
      r.stdout.includes(MARKER),
      `the program never reached its last line\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
    assert.notEqual(r.exitAfter, null, `still running ${BUDGET_MS} ms after its last line\nstderr: ${r.stderr}`);
    assert.equal(r.code, kind.endsWith("-throws") ? 1 : 0, r.stderr);
    assert.deepEqual(r.leftovers, [], `processes of its tree left running ${BUDGET_MS} ms after the last line`);
    assert.notEqual(r.treeGoneAfter, null);
    if (RUNTIME === "deno" && kind.endsWith("-throws")) {
      // Deno runs no exit hook when a program dies of an uncaught error: its socket folder stays
      // until the next run's sweep of dead trees. Its processes go all the same (checked above).
      for (const d of r.dirs) fs.rmSync(d, { recursive: true, force: true });
    } else assert.deepEqual(r.dirs, [], "the program left its socket folder");
    if (kind === "manager-pending") assert.match(r.stdout, /got 7/);
  });
}

test("Manager: the manager process goes when its owner is SIGKILLed", async () => {
  const [cmd, argv] = scriptCommand(FORGOTTEN, ["manager-forever"]);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
  const tree = new Set<number>();
  const exited = new Promise((r) => child.once("exit", r));
  try {
    const ready = await new Promise<boolean>((resolve) => {
      let out = "";
      const timer = setTimeout(() => resolve(false), 60_000);
      child.stdout!.on("data", (d) => {
        out += d;
        if (out.includes("READY")) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    assert.ok(ready, "the owner reported its manager");
    _collectTree(child.pid!, tree);
    assert.ok(tree.size >= 1, "the manager process is a child of its owner");
    child.kill("SIGKILL");
    await exited;
    const end = Date.now() + BUDGET_MS;
    while (Date.now() < end && ![...tree].every(isGone)) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(
      [...tree].filter((p) => !isGone(p)),
      [],
      "manager process left running 2 s after its owner was SIGKILLed",
    );
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const pid of tree) {
      try {
        if (!isGone(pid)) process.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    // A SIGKILLed root cannot remove its socket folder (a later run's sweep would): remove it here.
    for (const d of _treeDirs(child.pid!)) fs.rmSync(d, { recursive: true, force: true });
  }
});
