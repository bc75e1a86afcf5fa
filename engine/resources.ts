// Resource ids a step reports to exploring schedulers (Runtime.access): the dependency
// relation of the partial-order reduction. The two xarrays have fixed ids; every other piece
// of shared state (each object, igroup, domain, core group and each lock) gets its own id from
// Kernel.newRes() when it is created, so steps on different objects are independent.
//
// Why creation-time ids and not ids handed out at first access: the explorer compares a step
// recorded in one execution (a sleeping thread's step at node N) with steps of other
// executions that share N's prefix. Everything that exists at N was created in that prefix, in
// the same order, and so has the same id in all those executions; an id minted after N can
// name different objects in two executions, but then at worst two unrelated steps look
// dependent (more exploration, never less). Ids given at first access could name the same
// prefix object differently and hide a real dependency.
export const RES = {
  XA_OBJECTS: 0,
  XA_GROUPS: 1,
  /** The first id Kernel.newRes() hands out. */
  DYNAMIC: 16,
} as const;
