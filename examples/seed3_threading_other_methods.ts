// Seed: 003_d11a23a09cad837b.txt (threading其他方法: current_thread, get_ident, active_count, enumerate)
// Shows: ten threads each print their number, `currentThread().name` and `ident` after a nap; the
// main thread meanwhile prints `activeCount()` (11: itself and the ten, as Python's 11, though the
// seed's comment says 10), its own name and the names from `enumerateThreads()`.
// Python prints a thread as `<Thread(Thread-1, started 1234)>`; a `Thread` here prints as an object,
// so the port prints its name and ident. time.sleep(0.5) is scaled down to 100 ms. The main thread
// counts before it awaits anything, so no thread has been seen to end yet; its three lines may
// still come out after some threads' lines (a runtime where starting a thread takes long).
// expect: ^(?=(?:|[\s\S]*\n)11\n)(?=(?:|[\s\S]*\n)MainThread 0\n)(?=(?:|[\s\S]*\n)MainThread(,Thread-\d+){10}\n)(?:[\s\S]*?\d Thread-\d+ \d+\n){10}
import { setTimeout as sleep } from "node:timers/promises";
import { activeCount, currentThread, enumerateThreads, isMainProcess, Thread } from "../mod.ts";

export async function wahaha(n: number) {
  await sleep(100); // time.sleep(0.5)
  const me = currentThread();
  console.log(n, me.name, me.ident); // threading.current_thread(), threading.get_ident()
}

if (isMainProcess(import.meta)) {
  for (let i = 0; i < 10; i++) new Thread({ target: wahaha, args: [i] }).start();
  console.log(activeCount()); // 11
  console.log(currentThread().name, currentThread().ident);
  console.log(enumerateThreads().map((t) => t.name).join(","));
}
