/**
 * The program every `Pool` worker and `Process` child runs (started with `node:worker_threads`; how
 * the parent stops one and knows it ended: `_stop.ts`). It imports no parent-side code: no `Pool`,
 * `Process`, `Executor` or `Manager`, only what runs in the worker.
 *
 * - **Core** (`_worker_core.ts`): the port to the parent, errors that never escape, the exit
 *   wrappers, the memory watch; the same in both roles.
 * - **Pool role** (`_worker_pool.ts`): runs the batches of tasks a `Pool` sends, claiming each
 *   task's slot first.
 * - **Process role** (`_worker_process.ts`): runs the one export a `Process` names, then reports how
 *   it ended and exits.
 * - **Revival** (`_revivable.ts`): loads every class whose clones may arrive in arguments, the
 *   first time arguments hold an object, so that they arrive revived and working even when the task
 *   module imports no Interlock code.
 *
 * @module
 */
import { data, runWorker } from "./_worker_core.ts";
import { poolRole } from "./_worker_pool.ts";
import { processRole } from "./_worker_process.ts";

runWorker(data.role === "process" ? processRole() : poolRole());
