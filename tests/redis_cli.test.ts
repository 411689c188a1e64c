// The `multiproc worker` command (src/redis/cli.ts), run from source on this runtime against a real
// redis-server: usage errors, private secret files, a task through a CLI node, and a graceful stop.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../redis.ts";
import { scriptCommand, tempDir, within } from "./_helpers.ts";
import { REDIS_SERVER, startRedis, type TestRedis } from "./_redis.ts";
import { slowPid, square } from "./fixtures/redis_tasks.ts";

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), "..");
const CLI = path.join(ROOT, "src", "redis", "cli.ts");

let redis: TestRedis;
let tmp: ReturnType<typeof tempDir>;
let authkey: string;
const children = new Set<ChildProcess>();
const skip = REDIS_SERVER ? false : "redis-server is not installed";

before(async () => {
  if (skip) return;
  redis = await startRedis();
  tmp = tempDir();
  fs.chmodSync(tmp.dir, 0o700);
  authkey = randomBytes(24).toString("hex");
  fs.writeFileSync(tmp.file("authkey"), authkey + "\n", { mode: 0o600 });
  fs.writeFileSync(tmp.file("password"), redis.password + "\n", { mode: 0o600 });
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await redis?.stop();
  tmp?.cleanup();
});

/** A running CLI, with its output so far and its exit. */
interface _Run {
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

function cli(args: string[]): _Run {
  const [cmd, argv] = scriptCommand(CLI, args);
  const child = spawn(cmd, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

/**
 * Sends SIGTERM by pid: Deno's `ChildProcess.kill()` makes the child's exit read as killed by that
 * signal (code null) even when the child handled it and exited 0.
 */
function sigterm(run: _Run): void {
  process.kill(run.child.pid!, "SIGTERM");
}

/** The URL without its password (the CLI reads that from --password-file). */
const bareUrl = () => `redis://127.0.0.1:${redis.port}`;

async function startNode(namespace: string, processes = 1): Promise<_Run> {
  const run = cli([
    "worker",
    bareUrl(),
    "--authkey-file",
    tmp.file("authkey"),
    "--password-file",
    tmp.file("password"),
    "--module",
    "tests/fixtures/redis_tasks.ts",
    "--processes",
    String(processes),
    "--namespace",
    namespace,
    "--name",
    `cli-${namespace}`,
  ]);
  const ready = new Promise<void>((resolve, reject) => {
    run.child.stdout!.on("data", () => run.out().includes("serving") && resolve());
    run.exited.then((code) => reject(new Error(`the CLI node exited ${code}: ${run.err()}`)));
  });
  await within(ready, 30_000, "the CLI node starting");
  return run;
}

test("multiproc --help prints the usage and exits 0", { skip }, async () => {
  const run = cli(["--help"]);
  assert.equal(await within(run.exited, 30_000, "--help"), 0);
  assert.match(run.out(), /^Usage: multiproc worker <url> --authkey-file FILE --module PATH/);
  assert.match(run.out(), /--password-file FILE/);
});

test("multiproc worker exits 2 with a clear message on bad arguments", { skip }, async () => {
  const cases: [string[], RegExp][] = [
    [[], /Missing the command/],
    [["serve", "redis://x"], /Unknown command "serve"/],
    [["worker"], /Missing the Redis URL/],
    [["worker", "redis://127.0.0.1:1", "--module", "m.ts"], /Missing --authkey-file/],
    [["worker", "redis://127.0.0.1:1", "--authkey-file", "k"], /Missing --module/],
    [["worker", "redis://127.0.0.1:1", "--bogus"], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const run = cli(args);
    assert.equal(await within(run.exited, 30_000, args.join(" ")), 2, `${args.join(" ")}: ${run.err()}`);
    assert.match(run.err(), message);
    assert.match(run.err(), /Run `multiproc --help` for usage/);
  }
  const run = cli([
    "worker",
    bareUrl(),
    "--authkey-file",
    tmp.file("authkey"),
    "--module",
    "m.ts",
    "--processes",
    "0",
  ]);
  assert.equal(await within(run.exited, 30_000, "--processes 0"), 2);
  assert.match(run.err(), /--processes must be an integer ≥ 1, got "0"/);
});

test("multiproc worker refuses an authkey file that others can read", { skip }, async () => {
  const loose = tmp.file("loose-authkey");
  fs.writeFileSync(loose, authkey);
  fs.chmodSync(loose, 0o644);
  const run = cli(["worker", bareUrl(), "--authkey-file", loose, "--module", "tests/fixtures/redis_tasks.ts"]);
  assert.equal(await within(run.exited, 30_000, "the CLI with a loose authkey"), 2);
  assert.match(
    run.err(),
    new RegExp(`Cannot use ${loose} as the authkey: .*can be read by others \\(mode 644\\): chmod 600`),
  );
  assert.equal(run.out(), "");
});

test("multiproc worker refuses a password file that others can read", { skip }, async () => {
  const loose = tmp.file("loose-password");
  fs.writeFileSync(loose, redis.password);
  fs.chmodSync(loose, 0o640);
  const run = cli([
    "worker",
    bareUrl(),
    "--authkey-file",
    tmp.file("authkey"),
    "--password-file",
    loose,
    "--module",
    "tests/fixtures/redis_tasks.ts",
  ]);
  assert.equal(await within(run.exited, 30_000, "the CLI with a loose password file"), 2);
  assert.match(run.err(), /as the Redis password: .*can be read by others \(mode 640\)/);
});

test("multiproc worker exits 1 with the AuthenticationError text on a wrong password", { skip }, async () => {
  const run = cli([
    "worker",
    `redis://:wrong@127.0.0.1:${redis.port}`,
    "--authkey-file",
    tmp.file("authkey"),
    "--module",
    "tests/fixtures/redis_tasks.ts",
  ]);
  assert.equal(await within(run.exited, 30_000, "the CLI with a wrong password"), 1);
  assert.match(run.err(), /the Redis password is in argv/);
  assert.match(run.err(), /refused the credentials/);
});

test("a Pool's tasks run on a node started with multiproc worker", { skip }, async () => {
  const node = await startNode("cli-map", 2);
  await using cluster = await connect(redis.url, { authkey, namespace: "cli-map" });
  await using pool = new cluster.Pool();
  assert.deepEqual(await within(pool.map(square, [1, 2, 3, 4]), 30_000, "pool.map"), [1, 4, 9, 16]);
  sigterm(node);
  assert.equal(await within(node.exited, 30_000, "the node stopping"), 0, node.err());
});

test("multiproc worker finishes its tasks in hand on SIGTERM, then exits 0", { skip }, async () => {
  const node = await startNode("cli-term", 2);
  await using cluster = await connect(redis.url, { authkey, namespace: "cli-term" });
  await using pool = new cluster.Pool();
  const results = Promise.all([pool.apply(slowPid, [1500, "a"]), pool.apply(slowPid, [1500, "b"])]);
  // Both tasks are in the node's hands once the group has two entries pending (one task each: the
  // pool splits a batch so that each of the node's two processes gets an entry).
  const stream = "mp:{cli-term/pool/tasks}";
  const taken = async () => {
    for (;;) {
      const pending = await cluster._core.cmd.call("XPENDING", stream, "workers") as [number];
      if (Number(pending[0]) >= 2) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await within(taken(), 30_000, "the node taking the tasks");
  sigterm(node);
  const got = await within(results, 30_000, "the tasks in hand");
  assert.deepEqual(got.map((r) => r[0]), ["a", "b"]);
  assert.equal(await within(node.exited, 30_000, "the node stopping"), 0, node.err());
  assert.match(node.err(), /SIGTERM: finishing the tasks in hand/);
});

process.on("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});
