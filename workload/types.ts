// A workload: the hardware, a sequential setup, and one operation list per emulated thread.
// Object arguments are symbolic names bound at run time (or raw ids), so an id can be
// unbound, stale, reused or of the wrong type, as userspace can make it.
import type { Topology } from '../engine/topology.js';

/** A symbolic name bound by an earlier step, or a raw object id. */
export type Ref = string | number;

export type Op =
  | { op: 'ioas_alloc'; as: string }
  | { op: 'hwpt_alloc'; dev: Ref; pt: Ref; flags: number; as: string }
  | { op: 'destroy'; id: Ref }
  | { op: 'mock_domain'; pt: Ref; as: string }
  | { op: 'mock_replace'; dev: Ref; pt: Ref; out?: string }
  | { op: 'bind'; dev: number }
  | { op: 'attach'; dev: number; pt: Ref; out?: string }
  | { op: 'replace'; dev: number; pt: Ref; out?: string }
  | { op: 'detach'; dev: number }
  | { op: 'unbind'; dev: number };

export type OpName = Op['op'];

export interface Workload {
  topology: Topology;
  /** Run by one thread before the concurrent phase. */
  setup: Op[];
  threads: Op[][];
  /** Fault probability denominator (each failure point fails with probability 1/faultDen); 0 = off. */
  faultDen: number;
  /** Only these failure points may fail (engine/faults.ts names); all of them when absent. */
  faultPoints?: string[];
}

/**
 * Most concurrent threads a workload may have. The runner's lockdep keeps a held-lock stack per
 * thread and destroy_rwsem bounds its simultaneous read holds (engine/locks/rwsem.ts), both sized
 * for this; the generator's workloads use 2-4.
 */
export const MAX_WORKLOAD_THREADS = 8;

/** The native kAPI operations on topology devices; each device belongs to one thread. */
export const DEVICE_OPS: ReadonlySet<OpName> = new Set(['bind', 'attach', 'replace', 'detach', 'unbind']);

/** Device d is driven by thread d mod T: the kAPI's caller serialises its calls for one device. */
export function deviceOwner(dev: number, threads: number): number {
  return dev % threads;
}

export function describeOp(o: Op): string {
  switch (o.op) {
    case 'ioas_alloc':
      return `ioas_alloc -> ${o.as}`;
    case 'hwpt_alloc':
      return `hwpt_alloc(dev=${o.dev}, pt=${o.pt}${o.flags ? `, flags=${o.flags}` : ''}) -> ${o.as}`;
    case 'destroy':
      return `destroy(${o.id})`;
    case 'mock_domain':
      return `mock_domain(pt=${o.pt}) -> ${o.as}`;
    case 'mock_replace':
      return `mock_replace(${o.dev}, pt=${o.pt})`;
    case 'bind':
      return `bind(dev${o.dev})`;
    case 'attach':
      return `attach(dev${o.dev}, pt=${o.pt})`;
    case 'replace':
      return `replace(dev${o.dev}, pt=${o.pt})`;
    case 'detach':
      return `detach(dev${o.dev})`;
    case 'unbind':
      return `unbind(dev${o.dev})`;
  }
}
