"""Peer for bench/queue_bench.ts and bench/pipe_bench.ts: Python multiprocessing.Queue and Pipe.

Situations modelled, the same as the Interlock tables:
- queue: one producer process puts N small items (ints, or short strings "item-k") on a
  multiprocessing.Queue, one consumer process gets them; both start together behind a
  multiprocessing.Event. Prints one JSON line per run: {"items", "items_per_s"}.
- pipe: two processes bounce a small int over a multiprocessing.Pipe N times (send, recv on one
  side; recv, send on the other). Prints {"pipe_round_trip_us"} per run.

Run: python3 bench/peers/python_queue.py [--items 200000] [--runs 5] [--round-trips 20000]
"""

import argparse
import json
import multiprocessing as mp
import time

STRINGS = ["item-%d" % k for k in range(1024)]


def produce(queue, items, n, go):
    go.wait()
    if items == "numbers":
        for k in range(n):
            queue.put(k)
    else:
        for k in range(n):
            queue.put(STRINGS[k & 1023])


def consume(queue, n, go, out):
    go.wait()
    check = 0
    for _ in range(n):
        check += 1 if queue.get() is not None else 0
    out.value = time.time()


def queue_run(items, n):
    queue = mp.Queue()
    go = mp.Event()
    end = mp.Value("d", 0.0)
    procs = [
        mp.Process(target=produce, args=(queue, items, n, go)),
        mp.Process(target=consume, args=(queue, n, go, end)),
    ]
    for p in procs:
        p.start()
    time.sleep(0.2)
    start = time.time()
    go.set()
    for p in procs:
        p.join()
    return n / (end.value - start)


def echo(conn, n):
    for _ in range(n):
        conn.send(conn.recv())


def pipe_run(n):
    a, b = mp.Pipe()
    p = mp.Process(target=echo, args=(b, n))
    p.start()
    a.send(0)  # warm up: the echo process is running
    a.recv()
    start = time.perf_counter()
    for k in range(n - 1):
        a.send(k)
        a.recv()
    elapsed = time.perf_counter() - start
    p.join()
    return elapsed / (n - 1) * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--round-trips", type=int, default=0)
    args = parser.parse_args()
    if args.round_trips:
        for _ in range(args.runs):
            print(json.dumps({"pipe_round_trip_us": pipe_run(args.round_trips)}), flush=True)
        return
    for _ in range(args.runs):
        for items in ("numbers", "strings"):
            rate = queue_run(items, args.items)
            print(json.dumps({"items": items, "items_per_s": rate}), flush=True)


if __name__ == "__main__":
    main()
