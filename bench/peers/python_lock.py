"""Peer for bench/lock_bench.ts: Python multiprocessing.Lock under contention.

Situation modelled: the same as the "Contended" table of bench/lock_bench.ts. Two processes loop on
`with lock: counter.value += 1` (a non-atomic read-modify-write on a shared, unsynchronised
`multiprocessing.Value`) for a fixed time; both start together behind a `multiprocessing.Barrier`,
which the main process passes too before it starts the clock (a timer started before the processes
are up measured nothing under load). Prints one JSON line per run: transactions/s over both
processes, the smaller process's share, and the processes' overlap (the share of the run during
which both were looping).
The counter is checked against the sum of both processes' counts (mutual exclusion held).

Run: python3 bench/peers/python_lock.py [--seconds 0.3] [--runs 5]
"""

import argparse
import json
import multiprocessing as mp
import time


def work(lock, counter, stop, barrier, out, index):
    n = 0
    barrier.wait()
    start = time.time()
    while not stop.value:
        for _ in range(64):
            with lock:
                counter.value += 1
        n += 64
    out[index * 3] = n
    out[index * 3 + 1] = start
    out[index * 3 + 2] = time.time()


def run(seconds):
    lock = mp.Lock()
    counter = mp.Value("q", 0, lock=False)
    stop = mp.Value("b", 0, lock=False)
    barrier = mp.Barrier(3)
    out = mp.Array("d", 6, lock=False)
    procs = [mp.Process(target=work, args=(lock, counter, stop, barrier, out, i)) for i in range(2)]
    for p in procs:
        p.start()
    barrier.wait()
    time.sleep(seconds)
    stop.value = 1
    for p in procs:
        p.join()
    counts = [int(out[0]), int(out[3])]
    total = sum(counts)
    if counter.value != total:
        raise SystemExit(f"Lost updates: counter {counter.value}, transactions {total}")
    elapsed = max(out[2], out[5]) - min(out[1], out[4])
    together = max(0.0, min(out[2], out[5]) - max(out[1], out[4]))
    return {
        "tx_per_s": total / elapsed,
        "min_share": min(counts) / total,
        "overlap": together / elapsed,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    run(0.05)  # warm-up: process start-up, imports
    for _ in range(args.runs):
        print(json.dumps(run(args.seconds)), flush=True)


if __name__ == "__main__":
    main()
