// The human text of a violation and of a campaign: the failing-step marker of NNNN.txt, what a
// partial merge says it covers, and the rebuild command index.html names.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../engine/kernel.js';
import { EMPTY_TOPOLOGY } from '../../engine/topology.js';
import type { Violation } from '../../engine/violation.js';
import type { StressSummary } from '../../runner/doc.js';
import { missingShards, summaryText, violationText, type ViolationReport } from '../../runner/report.js';
import { indexPage } from '../../runner/report/index-page.js';
import { cleanup, stress } from './fixtures.js';

afterAll(cleanup);

function ev(step: number, name: string, text: string): TraceEvent {
  return { step, thread: Number(name.slice(1)) || 0, name, text };
}

function report(trace: TraceEvent[], v: Partial<Violation> = {}): ViolationReport {
  return {
    violation: { kind: 'use-after-free', invariant: 'I8', location: 'up_read', message: 'up_read on SELFTEST#2, which was already freed', thread: 2, threadName: 'T2', step: 73, ...v },
    seed: 1,
    scheduleIndex: 823,
    workloadIndex: 102,
    scheduleSeed: 1,
    profile: 'v6.6',
    variants: [],
    fixes: [],
    workload: { topology: EMPTY_TOPOLOGY, setup: [], threads: [], faultDen: 0 },
    ops: [],
    trace,
    decisions: 0,
  };
}

/** The marked lines of "Last steps of each thread" as [step, thread, text]. */
function marked(text: string): Array<[number, string, string]> {
  return text
    .split('\n')
    .map((l) => /^ {2}>> step +(\d+) {2}(\S+) +(.*)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => [Number(m[1]), m[2]!, m[3]!]);
}

describe('the failing-step marker of NNNN.txt', () => {
  it('is on the violation step when the failing thread has no event there (not on its last event)', () => {
    // As found in v6.6 seed 1: T2's last event is step 43, its up_read on the freed object step 73.
    const trace = [ev(41, 'T2', 'SELFTEST#2.users 1 -> 2 (short-term)'), ev(43, 'T2', 'SELFTEST#2.users 2 -> 1 (iommufd_put_object)'), ev(72, 'T1', 'kfree SELFTEST#2')];
    const text = violationText(report(trace), 'x.json');
    expect(marked(text)).toEqual([[73, 'T2', 'VIOLATION use-after-free [I8] at up_read']]);
    expect(text).not.toMatch(/>> step 43/);
  });

  it('is on one event when the failing step has several', () => {
    const trace = [ev(72, 'T1', 'kfree DEVICE#3'), ev(72, 'T1', 'kfree SELFTEST#2'), ev(72, 'T1', '<< destroy(m1.stdev) = ok')];
    expect(marked(violationText(report(trace, { threadName: 'T1', thread: 1, step: 72 }), 'x.json'))).toEqual([[72, 'T1', '<< destroy(m1.stdev) = ok']]);
  });

  it('is there when the failing thread has no trace event at all (quiescence)', () => {
    const text = violationText(report([ev(3, 'T0', 'lock igroup#4->lock')], { threadName: 'quiescence', thread: 9, step: 122 }), 'x.json');
    expect(marked(text)).toEqual([[122, 'quiescence', 'VIOLATION use-after-free [I8] at up_read']]);
  });

  it('of real stress output: once per file, on the step of its document', () => {
    // v6.6 seed 1 schedule 823: the minimised use-after-free fails at step 73, T2's last event is step 43.
    const r = stress('v66-markers', ['--profile', 'v6.6', '--keep-going'], 1000);
    expect(r.docs.length).toBeGreaterThan(0);
    const dir = join(r.dir, 'violations');
    const want = r.docs.map(({ n, doc }) => [n, [[(doc.minimal ?? doc).violation.step, (doc.minimal ?? doc).violation.threadName]]]);
    const got = r.docs.map(({ n }) => [n, marked(readFileSync(join(dir, `${n}.txt`), 'utf8')).map(([step, thread]) => [step, thread])]);
    expect(got).toEqual(want);
    expect(readdirSync(dir).filter((f) => f.endsWith('.txt'))).toHaveLength(r.docs.length);
  }, 60_000);
});

function summary(over: Partial<StressSummary>): StressSummary {
  const cov = { states: { hit: 1, total: 1, missed: [] }, transitions: { hit: 1, total: 1, missed: [] } };
  return {
    schemaVersion: 1,
    tool: { name: 'iommufd-model', version: '0.1.0' },
    seed: 1,
    runsDone: 400,
    runsRequested: 1200,
    steps: 1000,
    elapsedSeconds: 1,
    stepsPerSecond: 1000,
    schedulesPerSecond: 400,
    workers: 1,
    profile: 'fixed',
    variants: [],
    fixes: [],
    options: { runs: 1200, threads: null, profile: 'fixed', variants: [], workloadEvery: 8, maxSteps: 20000, faults: true, atomicity: true, scheduler: 'pct', pctDepth: 3, keepGoing: false, timeSeconds: null },
    violations: { byKind: {}, distinct: [] },
    coverage: { device: cov, hwpt: cov, ops: {} },
    strategy: { name: 'pct(d=3)', pctDepth: 3, pctBound: null },
    interrupted: false,
    stoppedBy: 'runs',
    signal: null,
    shard: null,
    merged: null,
    outDir: 'out',
    replay: null,
    ...over,
  } as StressSummary;
}

describe('a partial merge', () => {
  it('lists the shards it lacks', () => {
    expect(missingShards({ count: 3, shards: [1] })).toEqual([2, 3]);
    expect(missingShards({ count: 3, shards: [3, 1, 2] })).toEqual([]);
    expect(missingShards(null)).toEqual([]);
  });

  it('does not say all requested schedules ran, and names the missing shards', () => {
    const text = summaryText(summary({ merged: { count: 3, shards: [1] } }));
    expect(text).not.toContain('all requested schedules ran');
    expect(text).toContain('partial merge: 400 of 1,200 requested schedules ran');
    expect(text).toContain('missing shards 2/3, 3/3');
  });

  it('a shard says its own schedules ran; a complete merge, all of them', () => {
    expect(summaryText(summary({ shard: { index: 1, count: 3 } }))).toContain("all of shard 1/3's schedules ran");
    const whole = summaryText(summary({ runsDone: 1200, merged: { count: 3, shards: [1, 2, 3] } }));
    expect(whole).toContain('all requested schedules ran');
    expect(whole).not.toContain('missing');
  });

  it('index.html says it is partial', () => {
    const html = indexPage(summary({ merged: { count: 3, shards: [1, 3] } }), [], 'out');
    expect(html).toContain('merge of shards 1, 3 of 3 (partial: shard 2 missing)');
  });
});

describe('the rebuild command of index.html', () => {
  it('names the folder, shell-quoted and HTML-escaped', () => {
    expect(indexPage(summary({}), [], 'out/seed7')).toContain('<code>npm run cli -- report out/seed7</code>');
    const html = indexPage(null, [], "runs/<a & b's>");
    expect(html).toContain('<code>npm run cli -- report &#39;runs/&lt;a &amp; b&#39;\\&#39;&#39;s&gt;&#39;</code>');
    expect(html).not.toContain('report DIR');
  });
});
