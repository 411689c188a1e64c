// Seed: 000_97b5717cba584803.txt (Managers)
// Shows: a Manager process holds a dict and a list; ten children change them through proxies
// (passed as args), and the main process sees every change. Proxy methods return Promises.
// Python's dict keys 1, '2' and 0.25 become the string keys "1", "2" and "0.25" (DictProxy keys
// are strings), and None becomes null.
// expect: \{[^}]*['"]?0\.25['"]?: null[\s\S]*\[\s*0,\s*1,\s*2,\s*3,\s*4,(\s*\d,){9}\s*\d\s*\]\n$
import { type DictProxy, isMainProcess, type ListProxy, Manager, Process } from "../mod.ts";

export async function f(d: DictProxy<string | number | null>, l: ListProxy<number>, n: number) {
  await d.set(String(n), "1");
  await d.set("2", 2);
  await d.set("0.25", null);
  await l.append(n);
  console.log(await l.toArray());
}

if (isMainProcess(import.meta)) {
  await using manager = await Manager.start();
  const d = await manager.dict<string | number | null>();

  const l = await manager.list([0, 1, 2, 3, 4]);
  const pList: Process[] = [];
  for (let i = 0; i < 10; i++) {
    const p = new Process({ target: f, args: [d, l, i] });
    p.start();
    pList.push(p);
  }
  for (const res of pList) await res.join();

  console.log(await d.toObject());
  console.log(await l.toArray());
}
