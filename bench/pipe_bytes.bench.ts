// pipe_bytes: throughput of 1 MiB sendBytes messages parent→child (the value) and child→parent
// (extra), as Python's peer.
import { type Connection, isMainProcess, Pipe, Process } from "./_lib.ts";
import { report, sized } from "./_util.ts";

const MiB = 1024 * 1024;
const COUNT = sized(100, 30);

export async function bytesSink(conn: Connection, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await conn.recvBytes();
  await conn.send("done");
}

export async function bytesSource(conn: Connection, count: number, size: number): Promise<void> {
  const payload = new Uint8Array(size).fill(120);
  await conn.recv();
  for (let i = 0; i < count; i++) await conn.sendBytes(payload);
}

if (isMainProcess(import.meta)) {
  const payload = new Uint8Array(MiB).fill(120);
  let [a, b] = Pipe();
  let p = new Process({ target: bytesSink, args: [b, COUNT + 5] });
  p.start();
  b.close();
  for (let i = 0; i < 5; i++) await a.sendBytes(payload);
  let t0 = performance.now();
  for (let i = 0; i < COUNT; i++) await a.sendBytes(payload);
  await a.recv();
  const down = (COUNT * MiB) / ((performance.now() - t0) / 1000) / 1e6;
  await p.join();
  a.close();

  [a, b] = Pipe();
  p = new Process({ target: bytesSource, args: [b, COUNT, MiB] });
  p.start();
  b.close();
  await a.send("go");
  await a.recvBytes();
  t0 = performance.now();
  for (let i = 0; i < COUNT - 1; i++) await a.recvBytes();
  const up = ((COUNT - 1) * MiB) / ((performance.now() - t0) / 1000) / 1e6;
  await p.join();
  a.close();
  report({
    scenario: "pipe_bytes",
    metric: "1 MiB send_bytes parent→child",
    value: Math.round(down),
    unit: "MB/s",
    higherIsBetter: true,
    extra: { messages: COUNT, messageBytes: MiB, childToParentMBps: Math.round(up) },
  });
}
