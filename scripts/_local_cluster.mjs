// A throwaway multiproc cluster on this machine, for the examples that need one
// (scripts/run_examples.mjs): a redis-server listening only on a Unix socket in a private temp dir
// (mode 0700: only this user can connect, so it needs no password), persistence off, and worker
// nodes started with the `multiproc worker` command (src/redis/cli.ts, from source) on the
// example's runtime. Nothing secret goes through argv or the environment: the authkey is a 0600
// file, the socket path is not a secret. `stop()` ends the nodes (SIGTERM, then SIGKILL after a
// bound), the server and the dir.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** The redis-server binary, or undefined. */
export function redisServer() {
  for (const p of ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]) if (existsSync(p)) return p;
  const r = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

function _ping(sock) {
  return new Promise((resolve) => {
    const c = netConnect(sock);
    let got = "";
    const done = (ok) => {
      clearTimeout(timer);
      c.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    c.once("error", () => done(false));
    c.once("connect", () => c.write("PING\r\n"));
    c.on("data", (d) => (got += d) && got.includes("+PONG") && done(true));
  });
}

/** Spawns in its own process group (so that stop() can end the node's workers too). */
function _spawn(cmd, args, options) {
  return spawn(cmd, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], ...options });
}

function _killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch { /* gone */ }
}

function _exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts a server and `nodes` worker nodes.
 * @param {object} o
 * @param {string} o.root The repository root (the nodes' cwd, so module paths are project-relative).
 * @param {(file: string) => [string, string[]]} o.command How the example's runtime runs a .ts file.
 * @param {number} o.nodes How many worker nodes.
 * @param {string[]} o.nodeArgs Arguments of each `multiproc worker` after the URL and authkey file.
 * @returns {Promise<{ env: Record<string, string>, log(): string, stop(): Promise<void> }>}
 *   `env` tells the example where the cluster is: REDIS_URL and MULTIPROC_AUTHKEY_FILE (a path).
 */
export async function startLocalCluster({ root, command, nodes, nodeArgs }) {
  const server = redisServer();
  if (!server) throw new Error("redis-server is not installed (apt-get install redis-server)");
  const dir = mkdtempSync(join(tmpdir(), "mp-redis-"));
  chmodSync(dir, 0o700);
  const sock = join(dir, "redis.sock");
  const authkeyFile = join(dir, "authkey");
  writeFileSync(authkeyFile, randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
  let log = "";
  const children = [];
  const stop = async () => {
    // Nodes first: SIGTERM to the node itself (a graceful stop: it finishes what it holds, then
    // stops its workers), then anything left in its process group is killed. Then the server.
    for (const c of children.slice(1)) {
      try {
        process.kill(c.pid, "SIGTERM");
      } catch { /* gone */ }
    }
    for (const c of children.slice(1)) {
      await _exited(c, 15_000);
      _killGroup(c, "SIGKILL");
    }
    if (children[0]) {
      _killGroup(children[0], "SIGKILL");
      await _exited(children[0], 5_000);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const redis = _spawn(server, [
      "--port",
      "0",
      "--unixsocket",
      sock,
      "--unixsocketperm",
      "700",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--loglevel",
      "warning",
    ]);
    children.push(redis);
    redis.stdout.on("data", (d) => (log += d));
    redis.stderr.on("data", (d) => (log += d));
    const deadline = Date.now() + 10_000;
    while (!await _ping(sock)) {
      if (Date.now() > deadline || redis.exitCode !== null) throw new Error(`redis-server did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 30));
    }
    const url = `unix://${sock}`;
    const cli = join(root, "src", "redis", "cli.ts");
    const ready = [];
    for (let i = 0; i < nodes; i++) {
      const [cmd, args] = command(cli);
      const node = _spawn(cmd, [...args, "worker", url, "--authkey-file", authkeyFile, ...nodeArgs], {
        cwd: root,
        env: { ...process.env, NO_COLOR: "1" },
      });
      children.push(node);
      let out = "";
      node.stderr.on("data", (d) => (log += d));
      ready.push(
        new Promise((resolve, reject) => {
          node.stdout.on("data", (d) => (out += d).includes("serving") && resolve());
          node.once("exit", (code) => reject(new Error(`worker node ${i + 1} exited ${code}: ${log}`)));
          setTimeout(() => reject(new Error(`worker node ${i + 1} not ready within 60 s: ${log}`)), 60_000).unref();
        }),
      );
    }
    await Promise.all(ready);
    return { env: { REDIS_URL: url, MULTIPROC_AUTHKEY_FILE: authkeyFile }, log: () => log, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
