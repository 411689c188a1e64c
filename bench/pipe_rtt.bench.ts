// pipe_rtt: round trip of an 8-byte message over a Pipe, parent↔child (the value), as Python's
// peer; extra.siblingsUs is the same round trip between two children of one parent (the pipe is
// created by the parent, so each message travels child→parent→child; not under BENCH_QUICK=1).
import { type Connection, isMainProcess, Pipe, Process } from "./_lib.ts";
import { QUICK, report, sized } from "./_util.ts";
import { rawSocketRtt } from "./_raw_socket.ts";

const WARM = sized(500, 200);
const ROUNDS = sized(5000, 1000);
const MSG = new Uint8Array([49, 50, 51, 52, 53, 54, 55, 56]);

export async function pipeEcho(conn: Connection): Promise<void> {
  for (;;) {
    const m = await conn.recv();
    if (m === null) break;
    await conn.send(m);
  }
}

async function pingRounds(conn: Connection): Promise<number> {
  for (let i = 0; i < WARM; i++) {
    await conn.send(MSG);
    await conn.recv();
  }
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    await conn.send(MSG);
    await conn.recv();
  }
  const us = ((performance.now() - t0) * 1000) / ROUNDS;
  await conn.send(null);
  return us;
}

export async function pipePinger(conn: Connection, result: Connection): Promise<void> {
  await result.send(await pingRounds(conn));
}

/** The same round trip between two children of this process, over a pipe this process made. */
async function siblingsRtt(): Promise<number> {
  const [x, y] = Pipe();
  const [res, resChild] = Pipe();
  const echo = new Process({ target: pipeEcho, args: [y] });
  const pinger = new Process({ target: pipePinger, args: [x, resChild] });
  echo.start();
  pinger.start();
  x.close();
  y.close();
  resChild.close();
  const us = (await res.recv()) as number;
  await Promise.all([echo.join(), pinger.join()]);
  return us;
}

if (isMainProcess(import.meta)) {
  const [a, b] = Pipe();
  const p = new Process({ target: pipeEcho, args: [b] });
  p.start();
  b.close();
  const us = await pingRounds(a);
  await p.join();

  const extra: Record<string, unknown> = { roundTrips: ROUNDS, messageBytes: MSG.length };
  if (!QUICK) extra.siblingsUs = +(await siblingsRtt()).toFixed(2);
  report({
    scenario: "pipe_rtt",
    metric: "round trip",
    value: +us.toFixed(2),
    unit: "µs",
    higherIsBetter: false,
    extra,
    peers: { raw: +(await rawSocketRtt(ROUNDS)).toFixed(2) },
  });
}
