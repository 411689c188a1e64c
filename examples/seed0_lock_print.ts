// Seed: 000_97b5717cba584803.txt (三 进程同步: Lock)
// Shows: ten processes share one Lock, passed as an argument; each prints only while holding it,
// so lines never mix. acquire()/release() in try/finally is the long form of
// `await using _ = await l.hold();` (Python's `with l:`).
// expect: ^(hello world \d\n){10}$
import { isMainProcess, Lock, Process } from "../mod.ts";

export async function f(l: Lock, i: number) {
  await l.acquire();
  try {
    console.log("hello world", i);
  } finally {
    await l.release();
  }
}

if (isMainProcess(import.meta)) {
  const lock = new Lock();

  for (let num = 0; num < 10; num++) {
    new Process({ target: f, args: [lock, num] }).start();
  }
}
