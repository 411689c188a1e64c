#!/usr/bin/env node
/**
 * The `multiproc` command: `multiproc worker <url> ...` makes this machine a worker node of a
 * cluster (see {@linkcode USAGE}). The package's "bin" runs it on Node; `deno run -A npm:multiproc`
 * and `bunx --bun multiproc` run the same file (plain `bunx` follows the node shebang).
 *
 * Secrets come from private files, never from argv or the environment: other users can read a
 * process's argv (`ps`, `/proc/<pid>/cmdline`), and its environment is inherited by every child.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { isMainProcess } from "../process/current.ts";
import { connect, readAuthkey } from "../redis.ts";

/** The help text. */
export const USAGE = `Usage: multiproc worker <url> --authkey-file FILE --module PATH [options]

Makes this machine a worker node of a multiproc cluster: a local pool of worker processes that runs
the tasks a cluster Pool or ProcessPoolExecutor sends through Redis.

  <url>                  redis://[user@]host[:port][/db], rediss://... (TLS), unix:///path/redis.sock
  --authkey-file FILE    the cluster's shared secret, in a file only you can read (chmod 600)
  --password-file FILE   the Redis password, in a file only you can read, so that it is not in
                         argv (other users can read a process's argv)
  --module PATH          a module whose exported functions this node runs; repeatable. Give the
                         same project-relative path the callers use (same checkout or package)
  --processes N          worker processes (default: the number of CPUs)
  --namespace NS         the cluster's namespace (default "default")
  --name NAME            this node's name (default <host>:<pid>)
  -h, --help             this text

SIGTERM or SIGINT stops the node gracefully: it takes no new task, finishes and delivers the
tasks in hand, then exits 0. A second signal exits at once (status 1); tasks in hand then run
again on another node. Signal the node's own pid (kill PID): Ctrl-C in a terminal also reaches
its worker processes, whose running tasks then fail with WorkerLostError.

  npx multiproc worker redis://10.0.0.5:6379 --authkey-file ~/.mp-key --module ./tasks.ts
  deno run -A npm:multiproc worker ...      bunx --bun multiproc worker ...`;

/** A usage error: printed with a pointer to --help, exit status 2. */
class _UsageError extends Error {}

interface _Args {
  url: string;
  authkeyFile: string;
  passwordFile?: string;
  modules: string[];
  processes?: number;
  namespace?: string;
  name?: string;
}

function _parse(argv: string[]): _Args | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "authkey-file": { type: "string" },
        "password-file": { type: "string" },
        module: { type: "string", multiple: true },
        processes: { type: "string" },
        namespace: { type: "string" },
        name: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new _UsageError((e as Error).message);
  }
  const { values: v, positionals: p } = parsed;
  if (v.help) return "help";
  if (p.length === 0) {
    throw new _UsageError("Missing the command: multiproc worker <url> ...");
  }
  if (p[0] !== "worker") {
    throw new _UsageError(`Unknown command "${p[0]}": the command is "worker"`);
  }
  if (p.length < 2) {
    throw new _UsageError("Missing the Redis URL: multiproc worker <url> ...");
  }
  if (p.length > 2) throw new _UsageError(`Unexpected argument "${p[2]}"`);
  if (!v["authkey-file"]) {
    throw new _UsageError(
      "Missing --authkey-file FILE: the cluster's shared secret, in a file only you can read",
    );
  }
  if (!v.module?.length) {
    throw new _UsageError(
      "Missing --module PATH: a module whose exported functions this node runs",
    );
  }
  let processes: number | undefined;
  if (v.processes !== undefined) {
    processes = Number(v.processes);
    if (!/^\d+$/.test(v.processes) || !(processes >= 1)) {
      throw new _UsageError(
        `--processes must be an integer ≥ 1, got "${v.processes}"`,
      );
    }
  }
  return {
    url: p[1],
    authkeyFile: v["authkey-file"],
    passwordFile: v["password-file"],
    modules: v.module,
    processes,
    namespace: v.namespace,
    name: v.name,
  };
}

/** The URL with the password from a file put in (the URL in argv carries none). */
function _withPassword(url: string, password: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new _UsageError(`Not a Redis URL: "${url}"`);
  }
  if (u.password || u.searchParams.has("password")) {
    throw new _UsageError(
      "Give the password either in the URL or with --password-file, not both",
    );
  }
  if (u.protocol === "unix:" || u.protocol === "redis+unix:") {
    u.searchParams.set("password", password);
  } else u.password = encodeURIComponent(password);
  return u.href;
}

function _secret(file: string, what: string): string {
  try {
    return readAuthkey(file);
  } catch (e) {
    throw new _UsageError(
      `Cannot use ${file} as the ${what}: ${(e as Error).message}`,
    );
  }
}

/**
 * Runs the command.
 * @param argv The arguments after the program name (`worker <url> ...`).
 * @returns The exit status: 0 after a graceful stop or `--help`, 2 on a usage error, 1 when the
 *   node cannot start (Redis unreachable, wrong credentials, a module that does not load).
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * console.log(await main(["--help"])); // prints the usage, then 0
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  let args: _Args | "help";
  let url: string;
  let authkey: string;
  try {
    args = _parse(argv);
    if (args === "help") {
      console.log(USAGE);
      return 0;
    }
    url = args.url;
    if (args.passwordFile) {
      url = _withPassword(url, _secret(args.passwordFile, "Redis password"));
    } else if (/^rediss?:\/\/[^/@]*:[^/@]+@/.test(url)) {
      process.stderr.write(
        "multiproc worker: warning: the Redis password is in argv, where other users can read it: " +
          "use --password-file\n",
      );
    }
    authkey = _secret(args.authkeyFile, "authkey");
  } catch (e) {
    if (!(e instanceof _UsageError)) throw e;
    process.stderr.write(
      `multiproc: ${e.message}\nRun \`multiproc --help\` for usage.\n`,
    );
    return 2;
  }
  let cluster;
  let node;
  try {
    cluster = await connect(url, { authkey, namespace: args.namespace });
    node = await cluster.serve({
      processes: args.processes,
      modules: args.modules,
      name: args.name,
    });
  } catch (e) {
    await cluster?.close();
    process.stderr.write(`multiproc worker: ${(e as Error).message}\n`);
    return 1;
  }
  const stopped = new Promise<void>((resolve) => {
    let signals = 0;
    const stop = (signal: string) => {
      if (++signals > 1) {
        process.stderr.write(
          `multiproc worker: ${signal} again: exiting now\n`,
        );
        process.exit(1);
      }
      process.stderr.write(
        `multiproc worker: ${signal}: finishing the tasks in hand\n`,
      );
      resolve();
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  });
  console.log(
    `multiproc worker ${node.name}: serving ${node.modules.join(", ")} with ${node.processes} processes ` +
      `(namespace ${cluster.namespaceName})`,
  );
  await stopped;
  await node.close();
  await cluster.close();
  return 0;
}

if (isMainProcess(import.meta)) process.exit(await main(process.argv.slice(2)));
