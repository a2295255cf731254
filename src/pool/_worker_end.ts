/**
 * What the end of a pool worker means for the tasks it held (crash recovery), and the errors that
 * tell of it. The dispatcher (`_dispatcher.ts`) applies the verdict: it rejects, queues again, breaks
 * the pool or reports to `onWorkerError`.
 *
 * - A task the worker had started (RUNNING) rejects with a {@linkcode WorkerCrashedError}: it may
 *   have had effects, so it never runs twice.
 * - A task whose buffers were transferred to the worker rejects too: they were lost with it.
 * - Every other task runs again elsewhere, in the order sent: it never started (QUEUED), or it
 *   finished and its result was lost with the worker (DONE).
 * - A worker that reached its heap cap says so in every message (its `fatal` is the
 *   `ERR_WORKER_OUT_OF_MEMORY` error, the `cause`).
 *
 * @module
 */
import { WorkerCrashedError } from "../errors.ts";
import { heapCap, type ResourceLimits } from "./limits.ts";
import { type Member, reclaim, type Task } from "./_member.ts";

/** The tasks of a worker that ended, sorted out, and the errors that tell of its end. */
export interface WorkerEnd {
  /** Tasks that reject, each with its error, in the order sent. */
  readonly failed: [task: Task, error: WorkerCrashedError][];
  /** Tasks to run again, in the order sent. */
  readonly again: Task[];
  /** Whether it was running a task (whose rejection then tells of its end). */
  readonly blamed: boolean;
  /** The error of a worker that ended before it was ready. */
  beforeReady(): WorkerCrashedError;
  /** The error of a worker that ended outside any task (reported to `onWorkerError`). */
  outsideTask(): WorkerCrashedError;
}

/**
 * Empties the slots of `m`, which ended with exit `code` (null: abandoned after a kill; see
 * `_stop.ts`), and sorts out its unsettled tasks (see the module doc).
 */
export function endOf(
  m: Member,
  code: number | null,
  limits: ResourceLimits | undefined,
): WorkerEnd {
  const ended = m.outOfMemory
    ? `Pool worker ${m.id} ran out of memory (${heapCap(limits)})`
    : `Worker ${m.id} ended`;
  const crashed = (message: string) =>
    new WorkerCrashedError(message, { cause: m.fatal, workerId: m.id, exitCode: code });
  const failed: [Task, WorkerCrashedError][] = [];
  const again: Task[] = [];
  let blamed = false;
  for (const [task, started] of reclaim(m)) {
    if (started) {
      blamed = true;
      failed.push([
        task,
        crashed(
          `${ended} while running task ${task.id} ('${task.name}')` +
            (code === null ? "" : `, exit code ${code}`),
        ),
      ]);
    } else if (task.transfer !== undefined) {
      failed.push([
        task,
        crashed(
          `${ended} before task ${task.id} ('${task.name}') could finish, and the buffers ` +
            "transferred to it were lost with it",
        ),
      ]);
    } else {
      again.push(task);
    }
  }
  return {
    failed,
    again,
    blamed,
    beforeReady: () =>
      crashed(
        m.outOfMemory
          ? `${ended} before it was ready`
          : `Pool worker ${m.id} exited before it was ready`,
      ),
    outsideTask: () =>
      crashed(
        m.outOfMemory
          ? `${ended} outside a task; it was replaced`
          : `Pool worker ${m.id} ${m.fatal === undefined ? "exited" : "failed"} outside a task` +
            `${code === null ? "" : ` (exit code ${code})`}; it was replaced`,
      ),
  };
}
