// Which kind of worker a scenario runs: processes (the default), or threads when the runner starts
// it as a `<runtime>-threads` system (bench/_systems.mjs sets BENCH_KIND=thread). The pool scenarios
// then run ThreadPool where they ran Pool, and the start/queue/lock scenarios Thread where they ran
// Process: the same program, the same sizes and warm-up, so the two kinds compare round by round.
import process from "node:process";
import { Pool, Process, Thread, ThreadPool } from "./_lib.ts";

/** "thread" under BENCH_KIND=thread, else "process". */
export const KIND: "thread" | "process" = process.env.BENCH_KIND === "thread" ? "thread" : "process";

/** Pool, or ThreadPool for the thread kind: the whole Pool API either way. */
export const PoolOfKind: typeof Pool = KIND === "thread" ? ThreadPool : Pool;

/** Process, or Thread for the thread kind: start(), join(), exitCode either way. */
export const WorkerOfKind: typeof Process | typeof Thread = KIND === "thread" ? Thread : Process;

/** "Pool(2)" or "ThreadPool(2)", for metric names. */
export function poolName(workers: number): string {
  return `${KIND === "thread" ? "ThreadPool" : "Pool"}(${workers})`;
}
