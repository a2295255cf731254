// Run: deno run --allow-read examples/logging.ts
/**
 * The seed's logging from a worker: `logging.basicConfig(level=logging.INFO)` in the parent, and
 * `logging.info(...)` in the child's task.
 *
 * A worker starts with fresh globals, so it does not inherit a logging configuration made in the
 * parent (neither does a Python child started with "spawn"): pass the level to the worker with the
 * task's arguments and configure it there. Each line names the process that wrote it
 * (`currentProcess().name`), which is what makes logs from many workers readable. Workers write
 * straight to the program's stdout and stderr, one whole line at a time.
 *
 * The second part is the pattern of Python's logging cookbook for many processes (`QueueHandler`
 * and `QueueListener`): workers put their records on a `Queue`, and one listener, the main thread,
 * formats and writes them all, so that a single place decides where logs go.
 *
 * @module
 */
import { currentProcess, Process, Queue, taskModule } from "@interlock/interlock";

const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;
/** A logging level name. */
export type Level = keyof typeof LEVELS;

/** One log record, as it crosses the queue. */
export interface LogRecord {
  level: Level;
  process: string;
  message: string;
}

let threshold: number = LEVELS.WARNING; // Python's default level
let sink: ((record: LogRecord) => void) | undefined;

/** Python's `logging.basicConfig(level=...)`, for this thread; `queue` sends records there. */
export function basicConfig(level: Level, queue?: Queue<LogRecord>): void {
  threshold = LEVELS[level];
  sink = queue && ((record) => queue.putSync(record));
}

/** `LEVEL:process-name:message`, Python's default format with the process name as logger. */
export function format(record: LogRecord): string {
  return `${record.level}:${record.process}:${record.message}`;
}

/** Logs `message` at `level` if enabled in this thread: to the queue if configured, else output. */
export function log(level: Level, message: string): void {
  if (LEVELS[level] < threshold) return;
  const record = { level, process: currentProcess().name, message };
  if (sink) sink(record);
  else if (LEVELS[level] >= LEVELS.WARNING) console.error(format(record));
  else console.log(format(record));
}

/** The seed's `worker_task()`; logs through `queue` if given. */
export function workerTask(level: Level, queue?: Queue<LogRecord>): void {
  basicConfig(level, queue); // the worker configures its own logging
  log("INFO", "Worker process initialized.");
  log("DEBUG", "Not shown at level INFO.");
  // Task implementation
  log("INFO", "Worker process completed.");
}

if (import.meta.main) {
  const self = taskModule<typeof import("./logging.ts")>(import.meta.url);

  // The seed: the worker logs directly.
  basicConfig("INFO");
  const worker = new Process(self, "workerTask", { args: ["INFO"] });
  worker.start();
  await worker.join();
  log("INFO", `Worker ended with exit code ${worker.exitCode}.`);

  // Through a queue: two workers send records, the main thread writes them.
  const records = new Queue<LogRecord>();
  const listener = (async () => {
    // Writes records as they arrive; ends once the queue is closed and drained.
    for await (const record of records) console.log(`[listener] ${format(record)}`);
  })();
  const workers = ["Logger-1", "Logger-2"].map((name) =>
    new Process(self, "workerTask", { name, args: ["INFO", records] })
  );
  for (const w of workers) w.start();
  for (const w of workers) await w.join();
  records.close(); // no more records will come
  await listener;
}
