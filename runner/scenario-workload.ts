// A scenario (runner/scenario.ts) as a one-thread workload, for `explore`: a sequential scenario
// has no interleavings, so what the explorer enumerates is its failure points, each a two-way
// choice (fail here, or go on), and every unwind they lead to is checked like any run.
import { FAULT_POINT_NAMES, type FaultPoint } from '../engine/faults.js';
import type { Op, Ref, Workload } from '../workload/types.js';
import type { Scenario } from './scenario.js';

export interface ScenarioWorkload {
  workload: Workload;
  /** Steps the workload leaves out, with why (the teardown closes the ctx; see below). */
  dropped: string[];
  /** The failure points explored: those the scenario's steps inject, else every one. */
  faultPoints: readonly FaultPoint[];
}

/**
 * The scenario's steps in order on one thread. Expectations are not checked (a fault changes
 * what a step returns); names keep their meaning: a `device_bind ... as` name becomes the
 * workload's `devN.idev`. Kernel-API calls the caller must serialise are skipped where the
 * device's driver would not make them (attach of an attached device), as in generated workloads.
 */
export function scenarioWorkload(sc: Scenario): ScenarioWorkload {
  const alias = new Map<string, string>();
  const ref = (r: Ref): Ref => (typeof r === 'string' ? (alias.get(r) ?? r) : r);
  const name = (as: string | undefined, i: number) => as ?? `step${i}`;
  const ops: Op[] = [];
  const dropped: string[] = [];
  const injected = new Set<FaultPoint>();
  for (const [i, s] of sc.steps.entries()) {
    if (typeof s.inject === 'string') injected.add(s.inject as FaultPoint);
    switch (s.op) {
      case 'ioas_alloc':
        ops.push({ op: 'ioas_alloc', as: name(s.as, i) });
        break;
      case 'mock_domain':
        ops.push({ op: 'mock_domain', pt: ref(s.pt), as: name(s.as, i) });
        break;
      case 'replace':
        ops.push({ op: 'mock_replace', dev: ref(s.dev), pt: ref(s.pt), ...(s.out ? { out: s.out } : {}) });
        break;
      case 'hwpt_alloc':
        ops.push({ op: 'hwpt_alloc', dev: ref(s.dev), pt: ref(s.pt), flags: s.flags, as: name(s.as, i) });
        break;
      case 'destroy':
        ops.push({ op: 'destroy', id: ref(s.id) });
        break;
      case 'device_bind':
        if (s.as) alias.set(s.as, `dev${s.dev}.idev`);
        ops.push({ op: 'bind', dev: s.dev });
        break;
      case 'device_attach':
      case 'device_replace':
        ops.push({ op: s.op === 'device_attach' ? 'attach' : 'replace', dev: s.dev, pt: ref(s.pt), ...(s.out ? { out: s.out } : {}) });
        break;
      case 'device_detach':
        ops.push({ op: 'detach', dev: s.dev });
        break;
      case 'device_unbind':
        ops.push({ op: 'unbind', dev: s.dev });
        break;
      case 'close':
        // Every run ends by releasing the devices and closing the ctx; a close in the middle
        // would leave nothing for the steps after it.
        for (let j = i; j < sc.steps.length; j++) dropped.push(`step ${j} (${sc.steps[j]!.op}): the run closes the ctx at its end`);
        break;
    }
    if (s.op === 'close') break;
  }
  const faultPoints = injected.size > 0 ? [...injected] : [...FAULT_POINT_NAMES];
  return {
    workload: {
      topology: sc.topology,
      setup: [],
      threads: [ops],
      // 2: each failure point it reaches is a fail / go-on choice for the explorer.
      faultDen: 2,
      ...(injected.size > 0 ? { faultPoints } : {}),
    },
    dropped,
    faultPoints,
  };
}
