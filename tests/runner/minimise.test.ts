// Minimisation never changes the violation kind, never grows the schedule, and its output
// replays exactly (strict replay of the minimal decisions on the minimal workload).
import { describe, expect, it } from 'vitest';
import { stress } from '../../runner/stress.js';
import { Runner, DEFAULT_MAX_STEPS } from '../../runner/run.js';
import { ReplayScheduler } from '../../schedulers/replay.js';
import { decodeSchedule } from '../../schedulers/encoding.js';
import { VARIANT_NAMES } from '../../engine/variants.js';
import { project, type Tag } from '../../runner/minimise.js';

describe.each(VARIANT_NAMES)('minimising %s', (variant) => {
  it.each([2001, 2002])('seed %i', async (seed) => {
    const o = { seed, runs: 20_000, keepGoing: false, workloadEvery: 8, faults: true, profile: 'fixed' as const, variants: [variant], maxSteps: DEFAULT_MAX_STEPS, atomicity: true, minimise: true };
    const r = await stress(o);
    const f = r.found[0]!;
    expect(f).toBeDefined();
    const m = f.minimal!;
    expect(m.violation.kind).toBe(f.violation.kind);
    expect(m.steps).toBeLessThanOrEqual(m.from.steps);
    expect(m.preemptions).toBeLessThanOrEqual(m.from.preemptions);
    expect(m.workload.threads.length).toBeLessThanOrEqual(f.workload.threads.length);
    expect(decodeSchedule(m.compact)).toEqual(m.decisions);
    const again = await new Runner(o).run(m.workload, new ReplayScheduler(m.decisions), true, false);
    expect(again.violation && `${again.violation.kind}@${again.violation.location}`).toBe(`${m.violation.kind}@${m.violation.location}`);
  });
});

describe('projecting a schedule onto a smaller workload', () => {
  // setup: one pick; then T0, T1, T2 interleaved, with a draw during T1's op 1.
  const decisions = [0, 0, 1, 1, -1, 2, 1, 0, 2];
  const tags: Tag[] = [
    { name: 'setup', op: 0 },
    { name: 'T0', op: 0 },
    { name: 'T1', op: 0 },
    { name: 'T1', op: 1 },
    { name: 'T1', op: 1 },
    { name: 'T2', op: 0 },
    { name: 'T1', op: 2 },
    { name: 'T0', op: 1 },
    { name: 'T2', op: 1 },
  ];

  it('drops a removed thread\'s decisions, draws included, and moves the later threads down an id', () => {
    expect(project(decisions, tags, { thread: 1, op: -1 })).toEqual([0, 0, 1, 0, 1]);
  });

  it('drops only the removed op\'s decisions', () => {
    expect(project(decisions, tags, { thread: 1, op: 1 })).toEqual([0, 0, 1, 2, 1, 0, 2]);
    expect(project(decisions, tags, { thread: -1, op: 0 })).toEqual([0, 1, 1, -1, 2, 1, 0, 2]);
  });
});
