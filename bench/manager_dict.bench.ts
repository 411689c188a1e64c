// manager_dict: alternating DictProxy.set()/get() round trips per second from the parent to a
// Manager process, as bench/python/peer.py measures with multiprocessing.Manager().dict().
import { isMainProcess, Manager } from "./_lib.ts";
import { report, sized } from "./_util.ts";

const N = sized(10_000, 2000);

if (isMainProcess(import.meta)) {
  const m = await Manager.start();
  try {
    const d = await m.dict<number>();
    for (let i = 0; i < 200; i++) {
      await d.set("k", i);
      await d.get("k");
    }
    const t0 = performance.now();
    for (let i = 0; i < N / 2; i++) {
      await d.set("k", i);
      await d.get("k");
    }
    const s = (performance.now() - t0) / 1000;
    report({
      scenario: "manager_dict",
      metric: "dict set/get",
      value: +(N / s).toFixed(0),
      unit: "round trips/s",
      higherIsBetter: true,
      extra: { roundTrips: N, totalS: +s.toFixed(3) },
    });
  } finally {
    await m.shutdown();
  }
}
