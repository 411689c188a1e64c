"""Python multiprocessing peer for the multiproc benchmarks, and Python threading as the contrast peer.

Usage: python3 bench/python/peer.py [--threads] <scenario> [workers]   (workers: cpu_bound only, e.g. 1,2,4)
       python3 bench/python/peer.py [--threads] --list

With --threads (the runner's python-threads system) the scenarios that have a thread twin run on
threads: threading.Thread where the process side starts a Process, multiprocessing.pool.ThreadPool
where it makes a Pool, queue.Queue and threading.Lock/Barrier between threads. That is the GIL's
contrast to multiproc's threads: a CPU-bound ThreadPool speeds up ~1.0x.

Prints ONE line of JSON to stdout:
  {"scenario": ..., "metric": ..., "value": <number>, "unit": ..., "higherIsBetter": bool, "extra": {...}}
(cpu_bound adds "byWorkers": {"<workers>": speedup, ...}). Exits with status 2 (and prints nothing to
stdout) for an unknown scenario, so the runner can tell "this peer does not know the scenario" from a
failure. Every scenario uses the spawn start method, like multiproc's children. Each one does the same
warm-up and takes the same sizes as its bench/<scenario>.bench.ts twin; BENCH_QUICK=1 (set by
`npm run bench -- --quick`) selects the smaller sizes on both sides.
"""

import json
import multiprocessing as mp
import multiprocessing.pool
import os
import queue
import statistics
import sys
import threading
import time

CTX = mp.get_context("spawn")
MiB = 1048576
QUICK = os.environ.get("BENCH_QUICK") == "1"
# "thread" under --threads: the scenarios below that have a thread twin run it (see make_pool, start_kind)
KIND = "process"


def sized(full, quick):
    return quick if QUICK else full


def now():
    return time.perf_counter()


# ---- child-side functions (module level so spawn can import them) ----

def noop(*_args):
    return None


def identity(x):
    return x


def pipe_echo(conn):
    while True:
        msg = conn.recv()
        if msg is None:
            break
        conn.send(msg)


def pipe_sink(conn, count):
    for _ in range(count):
        conn.recv_bytes()
    conn.send("done")


def pipe_source(conn, count, size):
    payload = b"x" * size
    conn.recv()  # wait for go
    for _ in range(count):
        conn.send_bytes(payload)


def queue_consumer(q, done, count):
    done.put("ready")
    for _ in range(count):
        q.get()
    done.put(now())


def checksum(b):
    # the length plus one byte of every 4 KiB page, as bench/fixtures/pool_tasks.mjs
    return len(b) + sum(b[::4096])


def echo(b):
    return b


def count_loop(n):
    s = 0
    for i in range(n):
        s += 1
    return s


def locked_increments(lock, value, iterations, barrier):
    barrier.wait()
    for _ in range(iterations):
        with lock:
            value.value += 1
    barrier.wait()


def event_echo(ping, pong, rounds):
    for _ in range(rounds):
        ping.wait()
        ping.clear()
        pong.set()


class Counter:
    """A plain shared int for threads: what a Value("i") is between processes."""

    def __init__(self):
        self.value = 0


def make_pool(workers):
    """CTX.Pool, or multiprocessing.pool.ThreadPool for the thread kind (same API)."""
    return multiprocessing.pool.ThreadPool(workers) if KIND == "thread" else CTX.Pool(workers)


def new_worker(target, args=()):
    """CTX.Process, or threading.Thread for the thread kind."""
    if KIND == "thread":
        return threading.Thread(target=target, args=args)
    return CTX.Process(target=target, args=args)


# ---- scenarios: each returns (metric, value, unit, higher_is_better, extra) ----

def s_spawn():
    warm, rounds = sized(2, 1), sized(7, 3)
    samples = []
    for i in range(warm + rounds):
        t = now()
        p = CTX.Process(target=noop)
        p.start()
        p.join()
        if i >= warm:
            samples.append((now() - t) * 1e3)
    return ("start+join latency", statistics.median(samples), "ms", False,
            {"warmUps": warm, "samples": len(samples), "min": min(samples), "max": max(samples)})


def s_pipe_rtt():
    a, b = CTX.Pipe()
    p = CTX.Process(target=pipe_echo, args=(b,))
    p.start()
    msg = b"12345678"
    for _ in range(sized(500, 200)):
        a.send(msg)
        a.recv()
    rounds = sized(5000, 1000)
    t = now()
    for _ in range(rounds):
        a.send(msg)
        a.recv()
    elapsed = now() - t
    a.send(None)
    p.join()
    return ("round trip", elapsed / rounds * 1e6, "µs", False,
            {"roundTrips": rounds, "messageBytes": len(msg), "totalS": elapsed})


def s_pipe_bytes():
    count = sized(100, 30)
    payload = b"x" * MiB
    # parent -> child
    a, b = CTX.Pipe()
    p = CTX.Process(target=pipe_sink, args=(b, count + 5))
    p.start()
    for _ in range(5):
        a.send_bytes(payload)
    t = now()
    for _ in range(count):
        a.send_bytes(payload)
    a.recv()
    down = count * MiB / (now() - t) / 1e6
    p.join()
    # child -> parent
    a, b = CTX.Pipe()
    p = CTX.Process(target=pipe_source, args=(b, count, MiB))
    p.start()
    a.send("go")
    a.recv_bytes()
    t = now()
    for _ in range(count - 1):
        a.recv_bytes()
    up = (count - 1) * MiB / (now() - t) / 1e6
    p.join()
    return ("1 MiB send_bytes parent→child", down, "MB/s", True,
            {"messages": count, "messageBytes": MiB, "childToParentMBps": up})


def s_queue_throughput():
    count = sized(100000, 20000)
    q = CTX.Queue()
    done = CTX.Queue()
    p = CTX.Process(target=queue_consumer, args=(q, done, count))
    p.start()
    done.get()  # child is up; its spawn cost is not measured
    t = now()
    for i in range(count):
        q.put(i)
    end = done.get()  # perf_counter is CLOCK_MONOTONIC, comparable across processes
    elapsed = end - t
    p.join()
    return ("put→get", count / elapsed, "items/s", True,
            {"items": count, "totalS": elapsed})


def s_map():
    n = sized(200000, 100000)
    with make_pool(2) as pool:
        pool.map(noop, range(8), chunksize=1)  # warm: workers started and importing done
        t = now()
        out = pool.map(identity, range(n))
        elapsed = now() - t
    assert len(out) == n and out[-1] == n - 1
    return ("map trivial fn", n / elapsed, "items/s", True,
            {"items": n, "workers": 2, "totalS": elapsed,
             "chunksize": f"default (ceil(n / (4 * workers)) = {-(-n // 8)})"})


def dispatch_batch(pool, n):
    t = now()
    results = [pool.apply_async(identity, (i,)) for i in range(n)]
    vals = [r.get() for r in results]
    elapsed = now() - t
    assert vals[-1] == n - 1
    return elapsed


def s_dispatch():
    n = sized(10000, 2000)
    with make_pool(2) as pool:
        pool.map(noop, range(8), chunksize=1)
        elapsed = dispatch_batch(pool, n)
    return ("10k tasks submitted, then awaited", n / elapsed, "tasks/s", True,
            {"tasks": n, "workers": 2, "totalS": elapsed})


def payloads(count, size):
    # bytes objects, written every 512 bytes like the JavaScript side (distinct objects, all resident)
    one = bytearray(size)
    for i in range(0, size, 512):
        one[i] = i & 255
    return [bytes(one) for _ in range(count)]


def data(back):
    count, size = sized(32, 8), 4 * MiB
    items = payloads(count, size)
    with CTX.Pool(2) as pool:
        pool.map(noop, range(8), chunksize=1)
        t = now()
        pending = [pool.apply_async(echo if back else checksum, (b,)) for b in items]
        out = [p.get() for p in pending]
        elapsed = now() - t
    assert all(len(o) == size for o in out) if back else all(isinstance(o, int) for o in out)
    return (("32 × 4 MiB in and back" if back else "32 × 4 MiB in, checksum back"),
            count * size * (2 if back else 1) / elapsed / 1e6, "MB/s", True,
            {"messages": count, "bytes": size, "workers": 2, "totalS": elapsed})


def s_data_in():
    return data(False)


def s_data_roundtrip():
    return data(True)


def size_steps():
    # as bench/_data.ts: 1 KiB … 64 MiB by powers of 4, <= 16 MiB a size, 2 to 1000 messages
    sizes = ([1 << 10, 64 << 10, 4 * MiB] if QUICK else
             [1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, MiB, 4 * MiB, 16 * MiB, 64 * MiB])
    budget = sized(16, 4) * MiB
    return [(size, min(1000, max(2, -(-budget // size)))) for size in sizes]


def s_data_size():
    by_size = {}
    with CTX.Pool(2) as pool:
        pool.map(noop, range(8), chunksize=1)
        for size, count in size_steps():
            one = payloads(1, size)[0]
            t = now()
            pending = [pool.apply_async(echo, (one,)) for _ in range(count)]
            for p in pending:
                assert len(p.get()) == size
            by_size[str(size)] = 2 * count * size / (now() - t) / 1e6
    return ("round trip by payload size", by_size[str(4 * MiB)], "MB/s", True,
            {"workers": 2, "bySize": by_size})


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def s_tree_rss():
    # The dispatch workload; bench/run.mjs samples the process tree's RSS and puts the peak in value.
    import subprocess
    n = sized(10000, 2000)
    with make_pool(2) as pool:
        pids = set()
        while len(pids) < 2:
            pids.update(pool.map(_pid, range(2), chunksize=1))
        elapsed = dispatch_batch(pool, n)
        time.sleep(0.3)
        # threads live in this process: no idle worker of their own to read
        idle = [] if KIND == "thread" else [r for r in (rss_mib(p) for p in pids) if r is not None]
    empty = subprocess.Popen([sys.executable, "-c", "import sys; print('ready', flush=True); sys.stdin.read()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    empty.stdout.readline()
    time.sleep(0.3)
    empty_rss = rss_mib(empty.pid)
    empty.stdin.close()
    empty.wait()
    peers = {}
    if idle:
        peers["idle worker"] = max(idle)
    if empty_rss is not None:
        peers["empty script"] = empty_rss
    return ("peak tree RSS during dispatch", 0, "MiB", False,
            {"tasks": n, "dispatchTasksPerS": n / elapsed, "workers": 2, "peers": peers})


def s_cpu_bound(counts):
    # As bench/cpu_bound.bench.ts: max(4, 2 x the largest count) tasks, n calibrated so that running
    # them one after another takes ~0.5 s (quick: 0.1 s).
    tasks = max(4, 2 * max(counts))
    task_s = sized(0.5, 0.1) / tasks
    probe_n = 1000000
    t = now()
    count_loop(probe_n)
    probe_s = now() - t
    n = int(os.environ.get("CPU_N", round(probe_n * task_s / max(probe_s, 1e-3))))
    t = now()
    seq = [count_loop(n) for _ in range(tasks)]
    seq_s = now() - t
    speedups, pool_s = {}, {}
    for workers in counts:
        with make_pool(workers) as pool:
            # every worker runs the loop before the clock starts, like the TypeScript side
            pool.map(count_loop, [min(n, 100000)] * (workers * 2), chunksize=1)
            t = now()
            par = pool.map(count_loop, [n] * tasks, chunksize=1)
            pool_s[str(workers)] = now() - t
        assert seq == par == [n] * tasks
        speedups[str(workers)] = seq_s / pool_s[str(workers)]
    cores = os.cpu_count() or 1
    headline = min(2, cores) if min(2, cores) in counts else counts[-1]
    return ("speedup vs sequential", speedups[str(headline)], "x", True,
            {"n": n, "tasks": tasks, "taskS": task_s, "workers": headline, "sequentialS": seq_s,
             "poolS": pool_s, "cpuCount": cores, "byWorkers": speedups})


def s_pool_start():
    # cold: the program's first pool, as every system measures it
    t = now()
    pool = make_pool(2)
    # one trivial task per worker; _pid sleeps 1 ms so one worker cannot take both
    pids = set()
    while len(pids) < 2:
        pids.update(pool.map(_pid, range(2), chunksize=1))
    ms = (now() - t) * 1e3
    pool.terminate()
    pool.join()
    return ("Pool(2) ready", ms, "ms", False,
            {"note": "cold: the program's first pool; task sleeps 1 ms so each worker runs one"})


def _pid(_x):
    time.sleep(0.001)  # keep one worker from taking both tasks
    # a thread pool's workers share the pid: tell them apart by thread
    return (os.getpid(), threading.get_ident()) if KIND == "thread" else os.getpid()


def s_pool_terminate():
    samples = []
    for _ in range(3):
        pool = CTX.Pool(2)
        pids = set()
        while len(pids) < 2:
            pids.update(pool.map(_pid, range(2), chunksize=1))
        time.sleep(0.05)  # idle
        t = now()
        pool.terminate()
        pool.join()
        samples.append((now() - t) * 1e3)
    return ("terminate()+join()", statistics.median(samples), "ms", False,
            {"samples": len(samples), "min": min(samples), "max": max(samples)})


def s_scale():
    # as bench/scale.bench.ts: start n processes of a trivial function, then join them all
    n = sized(100, 20)
    t = now()
    procs = [CTX.Process(target=noop, args=(i,)) for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = now() - t
    assert all(p.exitcode == 0 for p in procs)
    return (f"start {n} processes, join all", elapsed, "s", False, {"processes": n})


# ---- the thread scenarios: each runs its kind (threads under --threads, else processes) ----

def s_thread_start():
    # as bench/thread_start.bench.ts: start+join of an empty target, median of 7 after 2 warm-ups
    warm, rounds = sized(2, 1), sized(7, 3)
    samples = []
    for i in range(warm + rounds):
        t = now()
        w = new_worker(noop)
        w.start()
        w.join()
        if i >= warm:
            samples.append((now() - t) * 1e3)
    return ("start+join, empty target (median)", statistics.median(samples), "ms", False,
            {"kind": KIND, "warmUps": warm, "rounds": rounds, "min": min(samples)})


def s_threads_100():
    # as bench/threads_100.bench.ts: seed 003 at its size, start n of a trivial function, join all
    n = sized(100, 20)
    t = now()
    ws = [new_worker(noop, (i,)) for i in range(n)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    elapsed = now() - t
    assert KIND == "thread" or all(w.exitcode == 0 for w in ws)
    return (f"start {n}, join all", elapsed, "s", False, {"kind": KIND, "count": n})


def s_queue_threads():
    # as bench/queue_threads.bench.ts: small items put here, taken by one thread (or process)
    count = sized(200000, 20000)
    q, done = (queue.Queue(), queue.Queue()) if KIND == "thread" else (CTX.Queue(), CTX.Queue())
    w = new_worker(queue_consumer, (q, done, count))
    w.start()
    done.get()
    t = now()
    for i in range(count):
        q.put(i)
    elapsed = done.get() - t
    w.join()
    return ("put→get, small items", count / elapsed, "items/s", True,
            {"kind": KIND, "items": count, "totalS": elapsed})


def s_lock_threads():
    # as bench/lock_threads.bench.ts: 2 workers, n x (with lock: value += 1), between two barrier waits
    iterations = sized(200000, 50000)
    if KIND == "thread":
        lock, value, barrier = threading.Lock(), Counter(), threading.Barrier(3)
    else:
        lock, value, barrier = CTX.Lock(), CTX.Value("i", 0, lock=False), CTX.Barrier(3)
    ws = [new_worker(locked_increments, (lock, value, iterations, barrier)) for _ in range(2)]
    for w in ws:
        w.start()
    barrier.wait()
    t = now()
    barrier.wait()
    elapsed = now() - t
    for w in ws:
        w.join()
    assert value.value == 2 * iterations, value.value
    return ("locked increments, 2 workers", 2 * iterations / elapsed, "ops/s", True,
            {"kind": KIND, "workers": 2, "iterationsEach": iterations, "totalS": elapsed})


def s_lock_uncontended():
    lock = CTX.Lock()
    n = sized(1000000, 200000)
    acquire, release = lock.acquire, lock.release

    def timed(ops):
        t = now()
        for _ in range(ops):
            acquire()
            release()
        return (now() - t) / ops * 1e9

    timed(n // 10)  # warm-up, as the TypeScript side does
    samples = [timed(n) for _ in range(3)]
    return ("acquire+release", statistics.median(samples), "ns/op", False,
            {"ops": n, "repeats": len(samples)})


def s_lock_contended():
    iterations = sized(200000, 50000)
    lock = CTX.Lock()
    value = CTX.Value("i", 0, lock=False)
    barrier = CTX.Barrier(3)  # both children up before the clock starts, both done when it stops
    procs = [CTX.Process(target=locked_increments, args=(lock, value, iterations, barrier))
             for _ in range(2)]
    for p in procs:
        p.start()
    barrier.wait()
    t = now()
    barrier.wait()
    elapsed = now() - t
    for p in procs:
        p.join()
    assert value.value == 2 * iterations, value.value
    return ("locked increments", 2 * iterations / elapsed, "ops/s", True,
            {"processes": 2, "iterationsEach": iterations, "finalValue": value.value,
             "totalS": elapsed})


def s_event_latency():
    rounds = sized(2000, 500)
    warm = 100
    ping, pong = CTX.Event(), CTX.Event()
    p = CTX.Process(target=event_echo, args=(ping, pong, rounds + warm))
    p.start()
    samples = []
    for i in range(rounds + warm):
        t = now()
        ping.set()
        pong.wait()
        dt = now() - t
        pong.clear()
        if i >= warm:
            samples.append(dt * 1e6)
    p.join()
    return ("set→wait round trip", statistics.median(samples), "µs", False,
            {"rounds": rounds, "mean": statistics.fmean(samples)})


def s_manager_dict():
    n = sized(10000, 2000)
    with CTX.Manager() as m:
        d = m.dict()
        for i in range(200):
            d["k"] = i
            d["k"]
        t = now()
        for i in range(n // 2):
            d["k"] = i
            d["k"]
        elapsed = now() - t
    return ("dict set/get", n / elapsed, "round trips/s", True,
            {"roundTrips": n, "totalS": elapsed})


SCENARIOS = {
    "spawn": s_spawn,
    "pipe_rtt": s_pipe_rtt,
    "pipe_bytes": s_pipe_bytes,
    "queue_throughput": s_queue_throughput,
    "dispatch": s_dispatch,
    "map": s_map,
    "data_in": s_data_in,
    "data_roundtrip": s_data_roundtrip,
    "data_size": s_data_size,
    "tree_rss": s_tree_rss,
    "cpu_bound": s_cpu_bound,
    "pool_start": s_pool_start,
    "pool_terminate": s_pool_terminate,
    "scale": s_scale,
    "lock_uncontended": s_lock_uncontended,
    "lock_contended": s_lock_contended,
    "event_latency": s_event_latency,
    "manager_dict": s_manager_dict,
    "thread_start": s_thread_start,
    "threads_100": s_threads_100,
    "queue_threads": s_queue_threads,
    "lock_threads": s_lock_threads,
}
# What --threads runs: the scenarios with a thread twin (Python's data scenarios would move no bytes
# between threads, so they have none).
THREAD_SCENARIOS = ["dispatch", "map", "tree_rss", "cpu_bound", "pool_start",
                    "thread_start", "threads_100", "queue_threads", "lock_threads"]


def main(argv):
    global KIND
    if len(argv) > 1 and argv[1] == "--threads":
        KIND = "thread"
        argv = argv[:1] + argv[2:]
    known = THREAD_SCENARIOS if KIND == "thread" else list(SCENARIOS)
    if len(argv) < 2 or argv[1] in ("-h", "--help", "--list"):
        print("\n".join(known), file=sys.stderr if len(argv) < 2 else sys.stdout)
        return 0 if len(argv) >= 2 else 2
    name = argv[1]
    fn = SCENARIOS.get(name) if name in known else None
    if fn is None:
        print(f"peer.py: unknown scenario {name!r}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    line = {"scenario": name}
    if name == "cpu_bound":
        spec = argv[2] if len(argv) > 2 else os.environ.get("BENCH_WORKERS")
        cores = os.cpu_count() or 1
        counts = [int(w) for w in spec.split(",")] if spec else list(range(1, cores + 1))
        if not counts or any(w < 1 for w in counts):
            print(f"peer.py: worker counts must be positive integers, got {spec!r}", file=sys.stderr)
            return 2
        metric, value, unit, hib, extra = fn(counts)
        line["byWorkers"] = extra.pop("byWorkers")
    else:
        metric, value, unit, hib, extra = fn()
    for field in ("bySize", "peers"):
        if field in extra:
            line[field] = extra.pop(field)
    extra["python"] = sys.version.split()[0]
    if KIND == "thread":
        extra["kind"] = "thread"
    else:
        extra["startMethod"] = "spawn"
    line.update({"metric": metric, "value": value, "unit": unit, "higherIsBetter": hib, "extra": extra})
    print(json.dumps(line, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
