/**
 * The portable part of the suite: the test files that `deno task test:portable` runs on Bun and on
 * Node 22 and 24 (`tools/test_portable.ts`), after `deno task test` ran every file on Deno. They
 * declare their tests with `test()` from `test.ts` and use nothing that only Deno has (checked by
 * `tests/architecture_test.ts`).
 *
 * @module
 */

/** Repository paths of the portable test files. */
export const PORTABLE_TESTS: readonly string[] = [
  // Primitives across workers.
  "tests/sync/lock_test.ts",
  "tests/sync/rlock_test.ts",
  "tests/sync/semaphore_test.ts",
  "tests/sync/event_test.ts",
  "tests/sync/condition_test.ts",
  "tests/sync/barrier_test.ts",
  "tests/sync/async_abort_test.ts",
  // Shared data.
  "tests/shared/value_test.ts",
  "tests/shared/array_test.ts",
  // Channels.
  "tests/channel/queue_items_test.ts",
  "tests/channel/queue_test.ts",
  "tests/channel/pipe_test.ts",
  // Process, Pool, Executor, Manager.
  "tests/process/process_test.ts",
  "tests/process/terminate_test.ts",
  "tests/process/resource_limits_test.ts",
  "tests/pool/pool_test.ts",
  "tests/pool/packed_strings_test.ts",
  "tests/pool/terminate_test.ts",
  "tests/pool/revival_test.ts",
  "tests/pool/pool_property_test.ts",
  "tests/pool/resource_limits_test.ts",
  "tests/executor/executor_test.ts",
  "tests/manager/manager_test.ts",
  "tests/manager/lifetime_test.ts",
  "tests/manager/codec_test.ts",
  // The explorer.
  "tests/explore/engine_test.ts",
  "tests/explore/bank_test.ts",
  "tests/explore/dpor_test.ts",
];

/**
 * The portable files whose workers fill a capped heap (`resourceLimits`). Node runs each in a
 * process of its own (`tools/test_portable.ts`): V8 can abort a whole Node process when a capped
 * worker reaches its limit, and an abort there then fails that file, not every file's run.
 */
export const OWN_PROCESS_TESTS: readonly string[] = [
  "tests/process/resource_limits_test.ts",
  "tests/pool/resource_limits_test.ts",
];
