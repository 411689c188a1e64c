// A real redis-server for the Redis backend's tests: started on a free loopback port (or a Unix
// socket) in a private temp dir, persistence off, a random password; restartable on the same port;
// stopped (and its dir removed) by `stop()`.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

/** The redis-server binary, or undefined when none is installed. */
export const REDIS_SERVER: string | undefined = (() => {
  for (const p of ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]) if (fs.existsSync(p)) return p;
  const r = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
})();

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A running test server. */
export interface TestRedis {
  /** `redis://:<password>@127.0.0.1:<port>` (or `unix://...?password=`). */
  url: string;
  /** The URL with a wrong password. */
  badUrl: string;
  port: number;
  password: string;
  /** Kills the server (SIGKILL) and starts it again on the same port, empty. */
  restart(downMs?: number): Promise<void>;
  /** Kills the server only. */
  kill(): Promise<void>;
  /** Starts it again after `kill()`. */
  start(): Promise<void>;
  /** Stops the server and removes its dir. */
  stop(): Promise<void>;
}

async function _waitPing(port: number | undefined, sock: string | undefined, password: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = sock ? net.connect(sock) : net.connect(port!, "127.0.0.1");
      c.once("error", () => resolve(false));
      c.once("connect", () => c.write(`AUTH ${password}\r\nPING\r\n`));
      let got = "";
      c.on("data", (d) => {
        got += d.toString();
        if (got.includes("+PONG")) {
          c.destroy();
          resolve(true);
        }
      });
      setTimeout(() => {
        c.destroy();
        resolve(false);
      }, 500);
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error("redis-server did not start within 10 s");
    await new Promise((r) => setTimeout(r, 30));
  }
}

/**
 * Starts a server.
 * @param unix Listen on a Unix socket only (no TCP).
 */
export async function startRedis(options: { unix?: boolean } = {}): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error("redis-server is not installed (apt-get install redis-server)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mp-redis-"));
  fs.chmodSync(dir, 0o700);
  const password = randomBytes(12).toString("hex");
  const sock = options.unix ? path.join(dir, "redis.sock") : undefined;
  const port = sock ? 0 : await freePort();
  let child: ChildProcess | undefined;
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--requirepass",
    password,
    "--daemonize",
    "no",
    "--loglevel",
    "warning",
    ...(sock ? ["--unixsocket", sock, "--unixsocketperm", "700"] : []),
  ];
  const start = async () => {
    child = spawn(REDIS_SERVER!, args, { stdio: ["ignore", "ignore", "inherit"] });
    await _waitPing(sock ? undefined : port, sock, password);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await gone;
  };
  await start();
  const url = sock ? `unix://${sock}?password=${password}` : `redis://:${password}@127.0.0.1:${port}`;
  return {
    url,
    badUrl: sock ? `unix://${sock}?password=wrong` : `redis://:wrong@127.0.0.1:${port}`,
    port,
    password,
    kill,
    start,
    async restart(downMs = 200) {
      await kill();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async stop() {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
