// Piscina task module for bench/pool_bench.ts: the same tiny task and CPU-bound loop as
// bench/_workers/tiny_tasks.ts, as piscina's default export (one task = one call).
export default function task({ op, x }) {
  if (op === "square") return x * x;
  let sum = 0;
  for (let i = 0; i < x; i++) sum += (i * i) % 7;
  return sum;
}
