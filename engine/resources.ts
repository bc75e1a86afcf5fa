// Resource ids a step reports to exploring schedulers (Runtime.access): the dependency
// relation of the partial-order reduction. They are coarse on purpose: one resource per kind
// of shared state (the two xarrays, each object type, igroups, domains, core groups) and one
// per lock class. Identities of single objects would depend on the interleaving that created
// them; kinds are stable across executions, and over-approximating dependency keeps the
// reduction sound (it only explores more).
export const RES = {
  XA_OBJECTS: 0,
  XA_GROUPS: 1,
  /** + object type (1..5): IOMMUFD_OBJ_* objects and their fields */
  OBJ: 1,
  IGROUP: 8,
  DOMAIN: 9,
  CORE_GROUP: 10,
  /** + lock class id */
  LOCK: 16,
} as const;
