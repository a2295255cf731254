/**
 * Agent identity: a nonzero int32 that names the calling agent (the main thread or one worker), so
 * that an `RLock` can tell its owner from everyone else.
 *
 * Each agent loads this module into its own realm, so each draws its own id, once, from
 * `crypto.getRandomValues`. There is no shared registry to hand out ids: a worker may be started by
 * code that never heard of Interlock, and only receives Interlock objects later. Two agents collide
 * with probability 1 / (2^32 - 1); among k agents that share one `RLock` the odds of any collision
 * are about k(k-1) / 2^33 (1 in 8.6 million for 10 agents, 1 in 87,000 for 100). Kernels take the
 * id as a parameter (`me`), so the interleaving explorer passes its own thread ids instead.
 *
 * @module
 */

let id = 0;

/** The calling agent's id: a nonzero int32, the same for the agent's whole life. */
export function agentId(): number {
  while (id === 0) id = crypto.getRandomValues(new Int32Array(1))[0]!;
  return id;
}
