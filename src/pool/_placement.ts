/**
 * Where the pool's queued tasks go, and how many at once: the dispatch policy, over the members'
 * slot bookkeeping (`_member.ts`). The dispatcher (`_dispatcher.ts`) takes the tasks from its queue
 * and posts the batches.
 *
 * - **Batches.** One `postMessage` carries up to {@linkcode MAX_BATCH} tasks, at most the worker's
 *   free slots (and what its `maxTasksPerChild` leaves), and at most its share of the queue, so that
 *   a short queue is spread over the workers.
 * - **Whole refills.** A worker that still holds work is refilled only a whole batch at a time (or
 *   what its `maxTasksPerChild` leaves): results that trickle back in small batches would otherwise be
 *   answered with as many small messages, each a wake-up of the worker.
 * - **Stealing.** Once the queue is empty, a worker that holds nothing takes half of the unstarted
 *   tasks of the busiest worker (see `takeUnstarted`).
 *
 * @module
 */
import { capacity, type Member, takeUnstarted, type Task } from "./_member.ts";

/** Most tasks sent to one worker in one message. */
export const MAX_BATCH = 128;

/**
 * The worker the next batch goes to and how many tasks it takes (`queued` tasks wait), or
 * `undefined` when no worker takes a batch now.
 */
export function nextBatch(
  live: readonly Member[],
  maxTasksPerChild: number,
  queued: number,
): [member: Member, count: number] | undefined {
  let best: Member | undefined;
  let room = 0;
  for (const m of live) {
    const c = capacity(m, maxTasksPerChild);
    if (
      c > room && (c >= MAX_BATCH || m.assigned.size === 0 || maxTasksPerChild - m.sent === c)
    ) {
      room = c;
      best = m;
    }
  }
  if (!best) return undefined;
  return [best, Math.min(room, Math.ceil(queued / live.length), MAX_BATCH)];
}

/** Gives each idle worker half of the unstarted tasks of the busiest one, through `send`. */
export function steal(
  live: readonly Member[],
  maxTasksPerChild: number,
  send: (thief: Member, tasks: Task[]) => void,
): void {
  for (const thief of live) {
    const room = capacity(thief, maxTasksPerChild);
    if (thief.assigned.size > 0 || room === 0) continue;
    let victim: Member | undefined;
    for (const m of live) {
      if (m !== thief && m.assigned.size >= 2 && m.assigned.size > (victim?.assigned.size ?? 1)) {
        victim = m;
      }
    }
    if (!victim) return;
    const stolen = takeUnstarted(victim, Math.min(victim.assigned.size >> 1, room));
    if (stolen.length > 0) send(thief, stolen);
  }
}
