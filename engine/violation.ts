// A violation found in a run: the first one stops the run.

export type ViolationKind =
  | 'use-after-free'
  | 'refcount'
  | 'model'
  | 'invariant'
  | 'warn'
  | 'assert'
  | 'lockdep-circular'
  | 'lockdep-recursive'
  | 'deadlock'
  | 'livelock'
  | 'internal';

export interface Violation {
  kind: ViolationKind;
  /** Invariant of the spec (I1..I13) this breaks, when there is one. */
  invariant?: string;
  /** Where: a kernel function or check name; with kind it keys deduplication. */
  location: string;
  message: string;
  thread: number;
  threadName: string;
  step: number;
  details?: unknown;
}

export class ViolationError extends Error {
  constructor(readonly violation: Violation) {
    super(violation.message);
  }
}

export function violationKey(v: Violation): string {
  return `${v.kind}@${v.location}`;
}
