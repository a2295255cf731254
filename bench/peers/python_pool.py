"""Python multiprocessing.Pool peer for bench/pool_bench.ts.

Measures, on a pool of 2 processes:
- tiny tasks: N `apply_async(square, (i,))` submitted at once, then every result awaited;
- `map(square, range(1_000_000))` (Python's default chunksize);
- CPU-bound: 8 calls of the same loop as tests/_workers/pool_tasks.ts `burn`, on 1 and on 2
  processes (speedup = time on 1 / time on 2).
Prints one JSON object. Usage: python3 bench/peers/python_pool.py [tasks] [burn_n]
"""
import json
import multiprocessing as mp
import sys
import time


def square(x):
    return x * x


def burn(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7
    return total


def main():
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    burn_n = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
    out = {}
    with mp.Pool(2) as pool:
        pool.map(square, range(1000))  # warm up: both processes started
        t = time.perf_counter()
        results = [pool.apply_async(square, (i,)) for i in range(tasks)]
        for r in results:
            r.get()
        out["apply_async_per_s"] = tasks / (time.perf_counter() - t)
        t = time.perf_counter()
        pool.map(square, range(1_000_000))
        out["map_1m_s"] = time.perf_counter() - t
        t = time.perf_counter()
        pool.map(burn, [burn_n] * 8, chunksize=1)
        two = time.perf_counter() - t
    with mp.Pool(1) as pool:
        pool.map(square, range(10))
        t = time.perf_counter()
        pool.map(burn, [burn_n] * 8, chunksize=1)
        one = time.perf_counter() - t
    out["burn_speedup"] = one / two
    print(json.dumps(out))


if __name__ == "__main__":
    main()
