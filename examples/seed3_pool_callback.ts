// Seed: 003_d11a23a09cad837b.txt (回调函数: callbacks)
// Shows: the callback of applyAsync() runs in the main process as soon as a task finishes, so the
// main process handles each result without doing the (blocking) work itself.
// expect: ^(1\d\n|20\n){10}$
import { isMainProcess, Pool } from "../mod.ts";

export function func1(n: number) {
  return n + 1;
}

function func2(m: number) {
  console.log(m); // runs in the main process
}

if (isMainProcess(import.meta)) {
  const p = new Pool(5);
  for (let i = 10; i < 20; i++) {
    p.applyAsync(func1, [i], { callback: func2 });
  }
  p.close();
  await p.join();
}
