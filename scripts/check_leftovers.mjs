// After the suite: no socket directories and no shared-memory segments of dead trees may remain.
// Names carry the tree root's stamp, <pid>-<start time>-<pid namespace> (src/runtime/liveness.ts);
// an entry is a leftover when its stamp names a process that is gone. Entries in the older naming
// (pid only) count as leftovers when that pid does not run. Nor may a redis-server started by a
// test or an example (tests/_redis.ts, scripts/_local_cluster.mjs: its --dir is a temp dir named
// mp-redis-*) still run.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nameStamp, processGone, stampGone } from "../src/runtime/liveness.ts";

const stale = [];
for (const [dir, prefix] of [[tmpdir(), "multiproc"], ["/dev/shm", "mp"]]) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    continue;
  }
  const pidOnly = new RegExp(`^${prefix}-(\\d+)-[A-Za-z0-9]+$`);
  for (const n of names) {
    const s = nameStamp(n, prefix);
    const p = s === undefined ? pidOnly.exec(n) : null;
    if ((s !== undefined && stampGone(s) === true) || (p && processGone(Number(p[1])))) stale.push(`${dir}/${n}`);
  }
}
// The Redis servers of tests and examples. redis-server rewrites its command line, but it works in
// its --dir, a temp dir named mp-redis-*.
let pids = [];
try {
  pids = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
} catch { /* no /proc: not checked */ }
for (const pid of pids) {
  try {
    if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "redis-server") continue;
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    if (cwd.startsWith(join(tmpdir(), "mp-redis-"))) stale.push(`redis-server (pid ${pid}) in ${cwd}`);
  } catch { /* gone, or not ours to read */ }
}
if (stale.length) {
  console.error(`left behind by dead process trees, or still running:\n  ${stale.join("\n  ")}`);
  process.exit(1);
}
console.log("no leftovers: 1 passed, 0 failed");
