/**
 * Watchdog thread body (see `watchdog.ts`): block on stdin until EOF, then kill this process.
 * Plain JavaScript syntax so every runtime can load it as a worker.
 *
 * @module
 */
import * as fs from "node:fs";
import process from "node:process";

const buf = new Uint8Array(64);
const nap = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  let n;
  try {
    n = fs.readSync(0, buf, 0, buf.length, null);
  } catch (e) {
    const code = (e && typeof e === "object" && "code" in e) ? e.code : "";
    if (code === "EAGAIN" || code === "EWOULDBLOCK" || code === "EINTR") {
      Atomics.wait(nap, 0, 0, 100);
      continue;
    }
    n = 0;
  }
  if (n === 0) break;
}
process.kill(process.pid, "SIGKILL");
