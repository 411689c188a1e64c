// event_latency: parent sets `ping`, a child waiting on it clears it and sets `pong`; the parent
// times set → pong.wait() resolving (median of 2000 rounds after 100 warm-up), as Python's peer.
// The served fallback (MULTIPROC_SHM=0) is reported in extra.
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Event, isMainProcess, Process } from "./_lib.ts";
import { backend } from "../src/sync/shm/arena.ts";
import { median, QUICK, report, sized } from "./_util.ts";
import { runServed } from "./_served.ts";
import { eventEcho } from "./fixtures/sync.ts";

if (isMainProcess(import.meta)) {
  const served = process.argv.includes("served");
  const rounds = served ? 500 : sized(2000, 500), warm = 100;
  const ping = new Event(), pong = new Event();
  const p = new Process({ target: eventEcho, args: [ping, pong, rounds + warm] });
  p.start();
  const samples: number[] = [];
  for (let i = 0; i < rounds + warm; i++) {
    const t = performance.now();
    await ping.set();
    await pong.wait();
    const dt = performance.now() - t;
    await pong.clear();
    if (i >= warm) samples.push(dt * 1000);
  }
  await p.join();
  const extra: Record<string, unknown> = {
    rounds,
    mean: +(samples.reduce((a, b) => a + b, 0) / samples.length).toFixed(2),
    backend: backend(),
  };
  if (!served && !QUICK) {
    const s = runServed(fileURLToPath(import.meta.url));
    if (s) extra.servedMicros = s.value;
  }
  report({
    scenario: "event_latency",
    metric: "set→wait round trip",
    value: +median(samples).toFixed(2),
    unit: "µs",
    higherIsBetter: false,
    extra,
  });
}
