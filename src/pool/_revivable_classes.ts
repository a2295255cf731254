/**
 * Every class whose structured clone a worker may have to revive, imported for their registration
 * only (each registers its tag with `registerClass` in `src/_region.ts`). Loaded on demand by
 * `loadClasses` in `_revivable.ts`, the first time a worker's arguments hold an object.
 *
 * @module
 */
import "../sync/lock.ts";
import "../sync/rlock.ts";
import "../sync/semaphore.ts";
import "../sync/event.ts";
import "../sync/condition.ts";
import "../sync/barrier.ts";
import "../shared/value.ts";
import "../shared/array.ts";
import "../channel/queue.ts";
import "../channel/simple_queue.ts";
import "../channel/pipe.ts";
import "../manager/proxies.ts";
