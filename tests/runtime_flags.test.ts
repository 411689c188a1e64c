// What a child inherits from its runtime's command line: Node/Bun flags, Deno permissions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { forwardedExecArgv } from "../src/runtime/node/adapter.ts";
import { fixture, RUNTIME } from "./_helpers.ts";

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout!.on("data", (d) => (stdout += d));
    c.stderr!.on("data", (d) => (stderr += d));
    c.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("forwardedExecArgv() keeps loader and V8 flags and drops the parent's own test/eval/inspect flags", () => {
  assert.deepEqual(
    forwardedExecArgv([
      "--import",
      "tsx",
      "--test",
      "--expose-gc",
      "--eval",
      "1",
      "--inspect=9229",
      "--max-old-space-size=64",
      "-e",
      "x",
    ]),
    ["--import", "tsx", "--expose-gc", "--max-old-space-size=64"],
  );
});

test("a child gets the parent's runtime flags (Node and Bun: --expose-gc reaches the child)", {
  skip: RUNTIME === "deno" ? "Deno children get permission flags instead (next test)" : false,
}, async () => {
  const r = await run(["--expose-gc", fixture("report_runtime.ts")]);
  assert.match(r.stdout, /exitCode=0/, r.stderr);
  assert.match(r.stdout, /REPORT \{"gc":true/);
});

test("a Deno child gets exactly the permissions its parent holds in full, never more", {
  skip: RUNTIME !== "deno" ? "Deno permissions only" : false,
}, async () => {
  const r = await run([
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-run",
    "--allow-env",
    "--allow-net",
    fixture("report_runtime.ts"),
  ]);
  assert.match(r.stdout, /exitCode=0/, r.stderr);
  const rep = JSON.parse(/REPORT (.*)/.exec(r.stdout)![1]);
  assert.equal(rep.read, "granted");
  assert.equal(rep.run, "granted");
  assert.equal(rep.net, "granted");
  assert.notEqual(rep.ffi, "granted");
  assert.notEqual(rep.sys, "granted");
});
