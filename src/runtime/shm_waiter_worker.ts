/**
 * The per-process waiter thread of `shm_waiter.ts` (Node, Bun). It sleeps in `futex_waitv` on the
 * doorbell word plus every pending group's word, marks groups whose word was woken or changed as
 * DONE, and posts one message to wake the main thread. It never returns to its event loop until told
 * to stop; each kernel sleep lasts at most {@linkcode SLICE_MS}, so exit is never held up for long.
 * Its {@linkcode LIFE} word tells the main thread whether it is inside the FFI binding, which the
 * main thread must not tear down (see `_ThreadWaiter.#stop`).
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { EAGAIN, ETIMEDOUT, loadNative, syscallNumbers } from "./shm.ts";
import { CTL, LIFE, SLICE_MS, THREAD_CAPACITY } from "./shm_waiter.ts";

const _FUTEX_32 = 2;
const _CLOCK_MONOTONIC = 1;
const _EINTR = 4;

function _main(): void {
  const native = loadNative();
  const sys = syscallNumbers();
  if (typeof native === "string" || !sys) throw new Error(`waiter thread: ${native}`);
  const ctlAddr = (workerData as { ctlAddr: number }).ctlAddr;
  const buf = native.view(ctlAddr, CTL.SIZE);
  const ctl = new Int32Array(buf);
  const vecAddr = ctlAddr + CTL.VECTOR_BYTE;
  const vec = new Int32Array(buf, CTL.VECTOR_BYTE, 6 * (THREAD_CAPACITY + 1));
  const f64 = new Float64Array(buf);
  const tsByte = CTL.VECTOR_BYTE + 24 * (THREAD_CAPACITY + 1);
  const ts = new Int32Array(buf, tsByte, 4);
  const tsAddr = ctlAddr + tsByte;
  const views = new Map<number, Int32Array>();
  // What each vector entry j >= 1 stands for: slot, generation, word.
  const snapSlot = new Int32Array(THREAD_CAPACITY + 1);
  const snapGen = new Int32Array(THREAD_CAPACITY + 1);
  const snapExpected = new Int32Array(THREAD_CAPACITY + 1);
  const snapIndex = new Int32Array(THREAD_CAPACITY + 1);
  const snapAddr = new Float64Array(THREAD_CAPACITY + 1);
  const snapView: Int32Array[] = [];
  let legacy = false;

  // struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32 reserved; }, entry 0 is the doorbell.
  const setEntry = (j: number, expected: number, addr: number): void => {
    const v = j * 6;
    vec[v] = expected;
    vec[v + 1] = 0;
    vec[v + 2] = addr % 4294967296;
    vec[v + 3] = Math.floor(addr / 4294967296);
    vec[v + 4] = _FUTEX_32;
    vec[v + 5] = 0;
  };
  for (;;) {
    if (Atomics.load(ctl, CTL.STOP) !== 0) return;
    Atomics.store(ctl, CTL.SLEEPING, 1);
    const doorbell = Atomics.load(ctl, CTL.DOORBELL);
    setEntry(0, doorbell, ctlAddr + CTL.DOORBELL * 4);
    let n = 1;
    for (let slot = 0; slot < THREAD_CAPACITY; slot++) {
      const byte = CTL.ENTRIES_BYTE + CTL.ENTRY_BYTES * slot;
      const i = byte >> 2;
      if (Atomics.load(ctl, i) !== CTL.PENDING) continue;
      const mapBase = f64[(byte >> 3) + 2];
      let view = views.get(mapBase);
      if (!view) views.set(mapBase, view = new Int32Array(native.view(mapBase, f64[(byte >> 3) + 3])));
      snapSlot[n] = slot;
      snapGen[n] = ctl[i + 1];
      snapExpected[n] = ctl[i + 2];
      snapIndex[n] = ctl[i + 3] >> 2;
      snapAddr[n] = mapBase + ctl[i + 3];
      snapView[n] = view;
      setEntry(n, snapExpected[n], snapAddr[n]);
      n++;
    }
    let r = -1;
    if (!legacy) {
      native.syscall(sys.clockGettime, _CLOCK_MONOTONIC, tsAddr, 0, 0, 0);
      ts[2] += SLICE_MS * 1e6;
      if (ts[2] >= 1e9) {
        ts[2] -= 1e9;
        ts[0] += 1;
      }
      r = native.syscall(sys.futexWaitv, vecAddr, n, 0, tsAddr, _CLOCK_MONOTONIC);
      // ENOSYS: kernel < 5.16. Anything else unexpected would spin; polling is the safe way down.
      if (r < 0 && r !== -EAGAIN && r !== -ETIMEDOUT && r !== -_EINTR) legacy = true;
    }
    if (legacy) {
      // No futex_waitv: sleep on the doorbell briefly, then report every group as (spuriously) woken.
      ts[0] = 0;
      ts[1] = 0;
      ts[2] = (n > 1 ? 2 : SLICE_MS) * 1e6;
      ts[3] = 0;
      native.syscall(sys.futex, ctlAddr + CTL.DOORBELL * 4, 0, doorbell, tsAddr, 0);
      r = -1;
    }
    Atomics.store(ctl, CTL.SLEEPING, 0);
    let any = false;
    for (let j = 1; j < n; j++) {
      const i = (CTL.ENTRIES_BYTE + CTL.ENTRY_BYTES * snapSlot[j]) >> 2;
      const live = Atomics.load(ctl, i) === CTL.PENDING && ctl[i + 1] === snapGen[j];
      const woken = r === j;
      if (live && (woken || legacy || Atomics.load(snapView[j], snapIndex[j]) !== snapExpected[j])) {
        if (Atomics.compareExchange(ctl, i, CTL.PENDING, CTL.DONE) === CTL.PENDING) any = true;
      } else if (!live && woken) {
        native.syscall(sys.futex, snapAddr[j], 1, 1, 0, 0); // pass on a wake meant for someone else
      }
    }
    if (any && Atomics.exchange(ctl, CTL.RESULTS, 1) === 0) parentPort!.postMessage(0);
  }
}

// The process may be exiting already: then never touch the FFI binding (see _ThreadWaiter.#stop).
const _life = new Int32Array((workerData as { life: SharedArrayBuffer }).life);
if (Atomics.compareExchange(_life, 0, LIFE.BOOTING, LIFE.LOADING) === LIFE.BOOTING) {
  try {
    _main();
  } finally {
    Atomics.store(_life, 0, LIFE.DONE);
    Atomics.notify(_life, 0);
  }
}
