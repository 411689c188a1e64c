// After the suite: no socket directories and no shared-memory segments of dead trees may remain.
// Names carry the tree root's stamp, <pid>-<start time>-<pid namespace> (src/runtime/liveness.ts);
// an entry is a leftover when its stamp names a process that is gone. Entries in the older naming
// (pid only) count as leftovers when that pid does not run.
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
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
if (stale.length) {
  console.error(`left behind by dead process trees:\n  ${stale.join("\n  ")}`);
  process.exit(1);
}
console.log("no leftovers: 1 passed, 0 failed");
