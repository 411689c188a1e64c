// Seed: 002_3bb88aa2fe4081f0.txt (2. Lock)
// Shows: two processes append to the same file under one Lock, one with `await using` (Python's
// `with lock:`), one with acquire()/release(), so each one's lines stay together.
// The file is in the temp directory and is emptied first; unlike the original, the main process
// joins the two writers and prints the file, which the seed shows as the result.
// expect: ^end\n((Lockd acquired via with\n){4}(Lock acquired directly\n){4}|(Lock acquired directly\n){4}(Lockd acquired via with\n){4})$
import { open, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import process from "node:process";
import { join } from "node:path";
import { isMainProcess, Lock, Process } from "../mod.ts";

export async function worker_with(lock: Lock, f: string) {
  await using _ = await lock.hold();
  const fs = await open(f, "a+");
  for (let n = 5; n > 1; n--) await fs.write("Lockd acquired via with\n");
  await fs.close();
}

export async function worker_no_with(lock: Lock, f: string) {
  await lock.acquire();
  try {
    const fs = await open(f, "a+");
    for (let n = 5; n > 1; n--) await fs.write("Lock acquired directly\n");
    await fs.close();
  } finally {
    await lock.release();
  }
}

if (isMainProcess(import.meta)) {
  const lock = new Lock();
  const f = join(tmpdir(), "multiproc-seed2-file.txt");
  await writeFile(f, "");
  const w = new Process({ target: worker_with, args: [lock, f] });
  const nw = new Process({ target: worker_no_with, args: [lock, f] });
  w.start();
  nw.start();
  console.log("end");

  await w.join();
  await nw.join();
  process.stdout.write(await readFile(f, "utf8"));
}
