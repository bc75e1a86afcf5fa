// What a lock needs from the emulated kernel: the runtime, lockdep, poison checks, tracing.
import type { EThread, Runtime } from '../../schedulers/runtime.js';
import type { Lockdep, LockdepReport } from './lockdep.js';

/** Anything that can be freed: an access after free is a use-after-free (I8). */
export interface Poisonable {
  freed: boolean;
  readonly label: string;
  /** Resource id reported to exploring schedulers (engine/resources.ts). */
  resId: number;
}

export interface LockEnv {
  readonly rt: Runtime;
  readonly lockdep: Lockdep;
  readonly tracing: boolean;
  /**
   * Report an access to freed memory (throws). `write` (default) also reports the access as a
   * write of home's resource, standing for the field updates that follow; a lock's own checks
   * pass false: they only read whether the memory is still live, and the lock word is its own
   * resource.
   */
  checkAlive(t: EThread, home: Poisonable | null, what: string, write?: boolean): void;
  lockdepReport(t: EThread, r: LockdepReport): never;
  assertFail(t: EThread, location: string, message: string): never;
  traceLock(t: EThread, what: string, lock: string): void;
}
