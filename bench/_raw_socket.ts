// Round trip of a small message over a raw Unix socket between this process and a plain child of
// the same runtime: the floor under every channel-based number (printed as the "raw" peer).
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../src/runtime/adapter.ts";

/** Mean round trip in µs over `rounds` echoes of a `size`-byte message. */
export async function rawSocketRtt(rounds: number, size = 12): Promise<number> {
  const address = path.join(os.tmpdir(), `mp-bench-raw-${process.pid}.sock`);
  let accepted!: (s: Awaited<ReturnType<typeof runtime.connect>>) => void;
  const conn = new Promise<Awaited<ReturnType<typeof runtime.connect>>>((r) => (accepted = r));
  const listener = await runtime.listen(address, (s) => accepted(s));
  const child = runtime.spawn({
    script: fileURLToPath(new URL("./fixtures/raw_echo.ts", import.meta.url)),
    env: { MP_RAW_SOCKET: address },
  });
  const s = await conn;
  s.ref();
  let got!: () => void;
  s.onData(() => got());
  const msg = new Uint8Array(size);
  const once = () =>
    new Promise<void>((r) => {
      got = r;
      s.write(msg);
    });
  for (let i = 0; i < 1000; i++) await once();
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await once();
  const us = ((performance.now() - t0) * 1000) / rounds;
  s.close();
  listener.close();
  await child.exited;
  return us;
}
