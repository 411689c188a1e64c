"""Python multiprocessing peer for the multiproc benchmarks.

Usage: python3 bench/python/peer.py <scenario> [workers]

Prints ONE line of JSON to stdout:
  {"scenario": ..., "metric": ..., "value": <number>, "unit": ..., "higherIsBetter": bool, "extra": {...}}
Exits with status 2 (and prints nothing to stdout) for an unknown scenario, so the
runner can tell "this peer does not know the scenario" from a failure.
Every scenario uses the spawn start method, like multiproc's children.
"""

import json
import multiprocessing as mp
import os
import statistics
import sys
import time

CTX = mp.get_context("spawn")
MiB = 1048576


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


# ---- scenarios: each returns (metric, value, unit, higher_is_better, extra) ----

def s_spawn():
    samples = []
    for i in range(17):
        t = now()
        p = CTX.Process(target=noop)
        p.start()
        p.join()
        if i >= 2:  # two warmups
            samples.append((now() - t) * 1e3)
    return ("start+join latency", statistics.median(samples), "ms", False,
            {"samples": len(samples), "min": min(samples), "max": max(samples)})


def s_pipe_rtt():
    a, b = CTX.Pipe()
    p = CTX.Process(target=pipe_echo, args=(b,))
    p.start()
    msg = b"12345678"
    for _ in range(1000):
        a.send(msg)
        a.recv()
    rounds = 20000
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
    count = 500
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
    count = 100000
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


def s_pool_map():
    n = 200000
    with CTX.Pool(2) as pool:
        pool.map(noop, range(100))  # warm: workers started and importing done
        t = now()
        out = pool.map(identity, range(n))
        elapsed = now() - t
    assert len(out) == n and out[-1] == n - 1
    return ("map trivial fn", n / elapsed, "items/s", True,
            {"items": n, "workers": 2, "totalS": elapsed,
             "chunksize": "default (ceil(n / (4 * workers)) = 25000)"})


def s_apply_async():
    n = 5000
    with CTX.Pool(2) as pool:
        pool.map(noop, range(100))
        t = now()
        results = [pool.apply_async(identity, (i,)) for i in range(n)]
        vals = [r.get() for r in results]
        elapsed = now() - t
    assert vals[-1] == n - 1
    return ("apply_async + get", n / elapsed, "tasks/s", True,
            {"tasks": n, "workers": 2, "totalS": elapsed})


def s_cpu_bound(workers):
    n = int(os.environ.get("CPU_N", "20000000"))
    tasks = 4
    t = now()
    seq = [count_loop(n) for _ in range(tasks)]
    seq_s = now() - t
    with CTX.Pool(workers) as pool:
        pool.map(noop, range(workers * 2))
        t = now()
        par = pool.map(count_loop, [n] * tasks, chunksize=1)
        par_s = now() - t
    assert seq == par == [n] * tasks
    return ("speedup vs sequential", seq_s / par_s, "x", True,
            {"n": n, "tasks": tasks, "workers": workers, "sequentialS": seq_s,
             "poolS": par_s, "cpuCount": os.cpu_count()})


def s_pool_start():
    samples = []
    for _ in range(5):
        t = now()
        pool = CTX.Pool(2)
        # one trivial task per worker; _pid sleeps 1 ms so one worker cannot take both
        pids = set()
        while len(pids) < 2:
            pids.update(pool.map(_pid, range(2), chunksize=1))
        samples.append((now() - t) * 1e3)
        pool.terminate()
        pool.join()
    return ("Pool(2) ready", statistics.median(samples), "ms", False,
            {"samples": len(samples), "min": min(samples), "max": max(samples),
             "note": "task sleeps 1 ms so each worker runs one"})


def _pid(_x):
    time.sleep(0.001)  # keep one worker from taking both tasks
    return os.getpid()


def s_pool_terminate():
    samples = []
    for _ in range(5):
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


def s_lock_uncontended():
    lock = CTX.Lock()
    n = 1000000
    samples = []
    for _ in range(3):
        acquire, release = lock.acquire, lock.release
        t = now()
        for _ in range(n):
            acquire()
            release()
        samples.append((now() - t) / n * 1e9)
    return ("acquire+release", statistics.median(samples), "ns/op", False,
            {"ops": n, "repeats": len(samples)})


def s_lock_contended():
    iterations = 200000
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
    rounds = 2000
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
    n = 20000
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
    "pool_map": s_pool_map,
    "apply_async": s_apply_async,
    "cpu_bound": s_cpu_bound,
    "pool_start": s_pool_start,
    "pool_terminate": s_pool_terminate,
    "lock_uncontended": s_lock_uncontended,
    "lock_contended": s_lock_contended,
    "event_latency": s_event_latency,
    "manager_dict": s_manager_dict,
}


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help", "--list"):
        print("\n".join(SCENARIOS), file=sys.stderr if len(argv) < 2 else sys.stdout)
        return 0 if len(argv) >= 2 else 2
    name = argv[1]
    fn = SCENARIOS.get(name)
    if fn is None:
        print(f"peer.py: unknown scenario {name!r}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    if name == "cpu_bound":
        workers = int(argv[2]) if len(argv) > 2 else 2
        metric, value, unit, hib, extra = fn(workers)
    else:
        metric, value, unit, hib, extra = fn()
    extra["python"] = sys.version.split()[0]
    extra["startMethod"] = "spawn"
    print(json.dumps({"scenario": name, "metric": metric, "value": value, "unit": unit,
                      "higherIsBetter": hib, "extra": extra}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
