// Least privilege: no secret in a child's environment or command line, sweeps that never remove a
// live tree's files, a private compile cache, and shared-memory segments checked at open.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { Event, Process } from "../mod.ts";
import { runtime } from "../src/runtime/adapter.ts";
import { processStamp } from "../src/runtime/liveness.ts";
import { privateCacheDir } from "../src/runtime/node/adapter.ts";
import { loadSharedMemory, sweepStaleSegments } from "../src/runtime/shm.ts";
import { connectAuthenticated } from "../src/channel/auth.ts";
import { node, sweepStaleTrees } from "../src/core/node.ts";
import { openBlock } from "../src/sync/shm/arena.ts";
import { waitFor } from "./fixtures/security.ts";
import { RUNTIME, within } from "./_helpers.ts";

const linux = process.platform === "linux";

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function readProc(pid: number, what: "environ" | "cmdline"): string {
  return fs.readFileSync(`/proc/${pid}/${what}`, "latin1");
}

/** Every run of 64 hex digits in `text` (a 32-byte secret written as hex). */
function hexSecrets(text: string): string[] {
  return text.match(/[0-9a-fA-F]{64}/g) ?? [];
}

describe("child token", { skip: !linux && "needs /proc" }, () => {
  test("a child's /proc environ and cmdline hold neither its token nor the authkey", async () => {
    const go = new Event();
    const p = new Process({ target: waitFor, args: [go] });
    p.start();
    try {
      const pid = p.pid!;
      const environ = readProc(pid, "environ");
      const cmdline = readProc(pid, "cmdline");
      for (const [name, text] of [["environ", environ], ["cmdline", cmdline]] as const) {
        assert.deepEqual(hexSecrets(text), [], `${name} of the child holds a 64-hex-digit secret`);
        assert.ok(!text.includes(hex(node.authkey)), `${name} holds the authkey`);
      }
      const entry = environ.split("\0").find((e) => e.startsWith("MULTIPROC_CHILD="));
      assert.ok(
        entry === undefined || entry.split("\n").length <= 2,
        `MULTIPROC_CHILD carries more than address and id: ${JSON.stringify(entry)}`,
      );
    } finally {
      await go.set();
      await p.join(20_000);
    }
    assert.equal(p.exitCode, 0);
  });

  test("a same-uid racer that reads a new child's environment cannot take its place", async () => {
    const go = new Event();
    const p = new Process({ target: waitFor, args: [go] });
    p.start();
    let won = false;
    try {
      // The racer: whatever the child's environment offers, used before the child can.
      let entry: string | undefined;
      for (let i = 0; i < 200 && entry === undefined; i++) {
        entry = readProc(p.pid!, "environ").split("\0").find((e) => e.startsWith("MULTIPROC_CHILD="));
        if (entry === undefined) await new Promise((r) => setTimeout(r, 5));
      }
      assert.ok(entry, "the child's environment names its parent (MULTIPROC_CHILD)");
      const [address, id, tokenHex] = entry.slice("MULTIPROC_CHILD=".length).split("\n");
      const guess = tokenHex && /^[0-9a-f]{64}$/.test(tokenHex)
        ? new Uint8Array(tokenHex.match(/../g)!.map((h) => parseInt(h, 16)))
        : new Uint8Array(32);
      const stream = await runtime.connect(address);
      try {
        const link = await within(
          connectAuthenticated(stream, guess, { role: "child", id, pid: process.pid }),
          10_000,
          "racer handshake",
        );
        won = true;
        link.close();
      } catch (e) {
        assert.equal(
          (e as Error).name,
          "AuthenticationError",
          `racer failed for another reason: ${(e as Error).message}`,
        );
      }
    } finally {
      if (!won) await go.set();
      await p.join(20_000);
      if (p.exitCode === null) {
        p.kill();
        await p.join(5_000);
      }
    }
    assert.equal(won, false, "the racer completed the child's handshake");
    assert.equal(p.exitCode, 0, "the real child connected, ran and exited 0");
  });
});

// Another user, for owner checks: only root can hand a file to one.
const OTHER_UID = process.getuid?.() === 0 ? 4242 : undefined;

function randomHex(n: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(n)));
}

/** The stamp of a process that has exited (taken while it ran), and its pid. */
async function deadStamp(): Promise<{ pid: number; stamp: string }> {
  const argv = RUNTIME === "deno" ? ["eval", "setTimeout(() => {}, 300)"] : ["-e", "setTimeout(() => {}, 300)"];
  const child = spawn(process.execPath, argv, { stdio: "ignore" });
  const exited = new Promise((r) => child.on("exit", r));
  const stamp = processStamp(child.pid!);
  await exited;
  assert.ok(stamp, "a running process has a stamp");
  return { pid: child.pid!, stamp };
}

/** The cases every sweep must get right: name → whether the sweep removes it. */
async function sweepCases(
  prefix: string,
): Promise<
  Array<{ name: string; mode: number; removed: boolean; kind?: "file" | "dir" | "symlink"; uid?: number; why: string }>
> {
  const own = processStamp(process.pid)!;
  const ns = own.split("-")[2];
  const dead = await deadStamp();
  const [deadPid, deadStart] = dead.stamp.split("-");
  const cases = [
    { name: `${prefix}-${dead.stamp}-${randomHex(8)}`, removed: true, why: "dead root, private, ours" },
    {
      name: `${prefix}-${process.pid}-1-${ns}-${randomHex(8)}`,
      removed: true,
      why: "pid now runs another process (start time differs)",
    },
    { name: `${prefix}-${deadPid}-${randomHex(8)}`, removed: false, why: "older naming: a pid alone proves nothing" },
    { name: `${prefix}-${own}-${randomHex(8)}`, removed: false, why: "the live tree" },
    {
      name: `${prefix}-${deadPid}-${deadStart}-${BigInt(ns) + 1n}-${randomHex(8)}`,
      removed: false,
      why: "another pid namespace",
    },
    { name: `${prefix}-${dead.stamp}-${randomHex(8)}`, removed: false, wrongMode: true, why: "group/world bits set" },
  ] as Array<{ name: string; removed: boolean; why: string; wrongMode?: boolean; kind?: "symlink"; uid?: number }>;
  cases.push({ name: `${prefix}-${dead.stamp}-${randomHex(8)}`, removed: false, kind: "symlink", why: "a symlink" });
  if (OTHER_UID !== undefined) {
    cases.push({
      name: `${prefix}-${dead.stamp}-${randomHex(8)}`,
      removed: false,
      uid: OTHER_UID,
      why: "another owner",
    });
  }
  return cases.map((c) => ({ ...c, mode: 0 }));
}

describe("stale-tree sweeps", { skip: !linux && "needs /proc" }, () => {
  test("sweepStaleTrees() removes only private folders of ours whose root is proven dead", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mp-sweep-"));
    const target = fs.mkdtempSync(path.join(os.tmpdir(), "mp-sweep-target-"));
    try {
      const cases = await sweepCases("multiproc");
      for (const c of cases) {
        const p = path.join(tmp, c.name);
        if (c.kind === "symlink") {
          fs.symlinkSync(target, p);
          continue;
        }
        fs.mkdirSync(p);
        fs.writeFileSync(path.join(p, "1.sock"), "");
        fs.chmodSync(p, (c as { wrongMode?: boolean }).wrongMode ? 0o755 : 0o700);
        if (c.uid !== undefined) fs.chownSync(p, c.uid, c.uid);
      }
      sweepStaleTrees(tmp);
      for (const c of cases) {
        assert.equal(
          !fs.existsSync(path.join(tmp, c.name)) && !isLink(path.join(tmp, c.name)),
          c.removed,
          `${c.removed ? "kept" : "removed"}: ${c.why}`,
        );
      }
      assert.ok(fs.statSync(target).isDirectory(), "a symlink's target is untouched");
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.rmSync(target, { recursive: true, force: true });
    }
  });

  test("sweepStaleSegments() removes only 0600 segments of ours whose root is proven dead", async () => {
    const prefix = `mpsec${randomHex(3)}`;
    const cases = await sweepCases(prefix);
    const target = `/dev/shm/${prefix}-target`;
    fs.writeFileSync(target, "x", { mode: 0o600 });
    try {
      for (const c of cases) {
        const p = `/dev/shm/${c.name}`;
        if (c.kind === "symlink") {
          fs.symlinkSync(target, p);
          continue;
        }
        fs.writeFileSync(p, new Uint8Array(64));
        fs.chmodSync(p, (c as { wrongMode?: boolean }).wrongMode ? 0o666 : 0o600);
        if (c.uid !== undefined) fs.chownSync(p, c.uid, c.uid);
      }
      sweepStaleSegments(prefix);
      for (const c of cases) {
        const p = `/dev/shm/${c.name}`;
        assert.equal(!fs.existsSync(p) && !isLink(p), c.removed, `${c.removed ? "kept" : "removed"}: ${c.why}`);
      }
      assert.ok(fs.existsSync(target), "a symlink's target is untouched");
    } finally {
      for (const c of cases) fs.rmSync(`/dev/shm/${c.name}`, { force: true });
      fs.rmSync(target, { force: true });
    }
  });
});

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

describe("Node compile cache folder", () => {
  test("privateCacheDir() makes a 0700 folder, and refuses a planted symlink, an open folder and another owner's", () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "mp-cache-test-"));
    try {
      const fresh = path.join(base, "fresh");
      assert.equal(privateCacheDir(fresh), fresh);
      assert.equal(fs.lstatSync(fresh).mode & 0o777, 0o700);
      assert.equal(privateCacheDir(fresh), fresh, "our own private folder is reused");

      const victim = path.join(base, "victim");
      fs.mkdirSync(victim, { mode: 0o700 });
      const link = path.join(base, "link");
      fs.symlinkSync(victim, link);
      assert.equal(
        privateCacheDir(link),
        undefined,
        "a symlink is refused even when it points at a private folder of ours",
      );
      assert.ok(fs.lstatSync(link).isSymbolicLink());

      const open = path.join(base, "open");
      fs.mkdirSync(open);
      fs.chmodSync(open, 0o777);
      assert.equal(privateCacheDir(open), undefined, "a folder others can write is refused");
      assert.equal(fs.lstatSync(open).mode & 0o777, 0o777, "and left as it was");

      if (OTHER_UID !== undefined) {
        const theirs = path.join(base, "theirs");
        fs.mkdirSync(theirs, { mode: 0o700 });
        fs.chownSync(theirs, OTHER_UID, OTHER_UID);
        assert.equal(privateCacheDir(theirs), undefined, "another user's folder is refused");
      }
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});

const shm = linux ? loadSharedMemory() : null;

describe("shared-memory segments at open", { skip: !shm && "no shared memory here" }, () => {
  test("open() and a reference that arrives refuse a planted segment (mode 0666, or another owner)", () => {
    const planted: string[] = [];
    const plant = (mode: number, uid?: number): string => {
      const name = `/mp-${processStamp(process.pid)}-${randomHex(8)}`;
      fs.writeFileSync(`/dev/shm${name}`, new Uint8Array(4096));
      fs.chmodSync(`/dev/shm${name}`, mode);
      if (uid !== undefined) fs.chownSync(`/dev/shm${name}`, uid, uid);
      planted.push(name);
      return name;
    };
    try {
      const open = plant(0o666);
      assert.throws(
        () => shm!.open(open),
        (e: Error & { code?: string }) =>
          e.code === "EPERM" && /Refusing shared-memory segment .* mode 0666/.test(e.message),
      );
      assert.throws(() => openBlock(open, 0, "Lock"), /Lock cannot be opened: Refusing shared-memory segment/);
      if (OTHER_UID !== undefined) {
        const theirs = plant(0o600, OTHER_UID);
        assert.throws(() => shm!.open(theirs), /owner uid 4242/);
      }
      const good = plant(0o600);
      assert.equal(shm!.open(good).size, 4096, "a private segment of ours opens");
    } finally {
      for (const n of planted) fs.rmSync(`/dev/shm${n}`, { force: true });
    }
  });
});
