// After the suite: no socket directories and no shared-memory segments of dead trees may remain.
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const stale = [];
for (const [dir, re] of [[tmpdir(), /^multiproc-(\d+)-/], ["/dev/shm", /^mp-(\d+)-/]]) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    continue;
  }
  for (const n of names) {
    const m = re.exec(n);
    if (m && !alive(Number(m[1]))) stale.push(`${dir}/${n}`);
  }
}
if (stale.length) {
  console.error(`left behind by dead process trees:\n  ${stale.join("\n  ")}`);
  process.exit(1);
}
console.log("no leftovers: 1 passed, 0 failed");
