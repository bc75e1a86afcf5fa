// Shared helpers for invariant checks: a failed check is a violation at the current step.
import type { EThread } from '../schedulers/runtime.js';
import type { Kernel } from '../engine/kernel.js';

export function violated(k: Kernel, t: EThread, invariant: string, check: string, message: string): never {
  k.fail(t, 'invariant', `${invariant}:${check}`, `${invariant} (${check}) violated: ${message}`, invariant);
}
