// Seed: 002_3bb88aa2fe4081f0.txt (4. Event)
// Shows: Event.wait() blocks until the event is set, or until its timeout: the "non-block" child
// gives up after its timeout and sees false; the "block" child wakes when the main process sets
// the event.
// Timeouts and sleeps: 2 s / 3 s → 200 ms / 800 ms (leaving room for a slow child start; on a
// heavily loaded machine the "non-block" child may still start so late that it sees true).
// expect: (?=[\s\S]*wait_for_event_timeout:e\.isSet->(false|true)\n)(?=[\s\S]*main: event is set\n)[\s\S]*wait_for_event: e\.isSet\(\)->true
import { setTimeout as sleep } from "node:timers/promises";
import { Event, isMainProcess, Process } from "../mod.ts";

export async function wait_for_event(e: Event) {
  console.log("wait_for_event: starting");
  await e.wait();
  console.log("wait_for_event: e.isSet()->" + await e.isSet());
}

export async function wait_for_event_timeout(e: Event, t: number) {
  console.log("wait_for_event_timeout:starting");
  await e.wait(t);
  console.log("wait_for_event_timeout:e.isSet->" + await e.isSet());
}

if (isMainProcess(import.meta)) {
  const e = new Event();
  const w1 = new Process({ name: "block", target: wait_for_event, args: [e] });
  const w2 = new Process({ name: "non-block", target: wait_for_event_timeout, args: [e, 200] });
  w1.start();
  w2.start();
  await sleep(800);
  await e.set();
  console.log("main: event is set");
}
