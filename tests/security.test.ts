// Least privilege: no secret in a child's environment or command line, sweeps that never remove a
// live tree's files, a private compile cache, and shared-memory segments checked at open.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import process from "node:process";
import { Event, Process } from "../mod.ts";
import { runtime } from "../src/runtime/adapter.ts";
import { connectAuthenticated } from "../src/channel/auth.ts";
import { node } from "../src/core/node.ts";
import { waitFor } from "./fixtures/security.ts";

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

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle in ${ms} ms`)), ms))),
  ]);
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
      assert.ok(entry === undefined || entry.split("\n").length <= 2, `MULTIPROC_CHILD carries more than address and id: ${JSON.stringify(entry)}`);
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
        const link = await withTimeout(connectAuthenticated(stream, guess, { role: "child", id, pid: process.pid }), 10_000, "racer handshake");
        won = true;
        link.close();
      } catch (e) {
        assert.equal((e as Error).name, "AuthenticationError", `racer failed for another reason: ${(e as Error).message}`);
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
