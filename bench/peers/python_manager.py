"""Python multiprocessing.Manager and ProcessPoolExecutor peer for bench/manager_bench.ts.

Measures:
- sequential `d.get(key)` calls on a `Manager().dict()` proxy from the main process;
- 2 processes each making N read-modify-write updates through the proxy (`d[k] = d[k] + 1` under
  a managed Lock would be the safe form; a plain `d.get` + `d.__setitem__` pair is two calls, so
  this counts calls, not updates);
- ProcessPoolExecutor(2): N tiny `submit(square, i)` calls, then every result awaited.
Prints one JSON object. Usage: python3 bench/peers/python_manager.py [calls] [tasks]
"""
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Manager, Process


def square(x):
    return x * x


def client(d, n):
    for _ in range(n):
        d["count"] = d.get("count", 0) + 1


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    out = {}
    with Manager() as m:
        d = m.dict()
        for _ in range(200):
            d.get("x")
        t = time.perf_counter()
        for _ in range(calls):
            d.get("x")
        out["sequential_calls_per_s"] = calls / (time.perf_counter() - t)
        per = calls // 2  # two calls per update
        ps = [Process(target=client, args=(d, per)) for _ in range(2)]
        for p in ps:
            p.start()
        t = time.perf_counter()
        for p in ps:
            p.join()
        out["two_process_calls_per_s"] = 2 * 2 * per / (time.perf_counter() - t)
    with ProcessPoolExecutor(2) as ex:
        list(ex.map(square, range(100)))
        t = time.perf_counter()
        fs = [ex.submit(square, i) for i in range(tasks)]
        for f in fs:
            f.result()
        out["executor_tasks_per_s"] = tasks / (time.perf_counter() - t)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
