// Human text: a violation (the NNNN.txt files and what `replay` prints) and the stress summary.
import type { Violation } from '../engine/violation.js';
import type { TraceEvent } from '../engine/kernel.js';
import type { DeviceSpec, RegionSpec, Topology } from '../engine/topology.js';
import { INVARIANTS } from '../properties/registry.js';
import { describeOp, type Workload } from '../workload/types.js';
import type { OpRecord } from '../workload/execute.js';
import { replayCommand, type CoverageFigures, type StressSummary, type ViolationDoc } from './doc.js';

export const LINE_WIDTH = 160;
/** Trace events shown per thread in "last steps of each thread". */
export const LAST_STEPS = 12;

/** Break a line at spaces (or hard, when a word is too long) so no line exceeds `width`. */
export function wrap(line: string, width = LINE_WIDTH, indent = '    '): string[] {
  if (line.length <= width) return [line];
  const out: string[] = [];
  let rest = line;
  let first = true;
  while (rest.length > 0) {
    const pre = first ? '' : indent;
    const room = width - pre.length;
    if (rest.length <= room) {
      out.push(pre + rest);
      break;
    }
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= room / 3) cut = room;
    out.push(pre + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    first = false;
  }
  return out;
}

function clip(s: string, width: number): string {
  return s.length <= width ? s : s.slice(0, Math.max(0, width - 3)) + '...';
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function region(r: RegionSpec): string {
  return `${r.type}@${hex(r.start)}+${hex(r.length)}`;
}

function device(d: DeviceSpec, index: number): string {
  const caps = [d.cacheCoherent ? 'cc' : 'no-cc', ...(d.enforceCC ? ['enforce-cc'] : [])];
  const resv = d.resv.length ? ` ${d.resv.map(region).join(' ')}` : '';
  return `dev${index} (${caps.join(',')})${resv}`;
}

/** The topology, one line per group (iommu, devices with caps and regions), then the IOAS slots. */
export function topologyLines(topo: Topology): string[] {
  const lines: string[] = [];
  let dev = 0;
  topo.groups.forEach((g, gi) => {
    const m = topo.iommus[g.iommu];
    const iommu = m
      ? `iommu${g.iommu} (${m.enforceCC ? 'enforce-cc' : 'no enforce-cc'}, msi ${m.isolatedMsi ? 'isolated' : 'not isolated'})`
      : `iommu${g.iommu} (?)`;
    const devs = g.devices.map((d) => device(d, dev++));
    lines.push(...wrap(`group${gi} on ${iommu}: ${devs.join('; ')}`, LINE_WIDTH - 4, '      '));
  });
  if (topo.ioas.some((s) => s.mapped.length > 0)) {
    const slots = topo.ioas.map((s, i) => `ioas slot ${i}: ${s.mapped.length ? s.mapped.map((m) => `mapped ${hex(m.start)}+${hex(m.length)}`).join(', ') : 'nothing mapped'}`);
    lines.push(slots.join('; '));
  }
  return lines;
}

/** The workload in short form: topology, fault rate, setup, each thread's operations. */
export function workloadLines(wl: Workload): string[] {
  const lines = topologyLines(wl.topology);
  lines.push(`faults: ${wl.faultDen > 0 ? `each failure point fails with probability 1/${wl.faultDen}` : 'off'}`);
  const list = (name: string, ops: Workload['setup']) =>
    wrap(`${name}: ${ops.length ? ops.map(describeOp).join('; ') : '(nothing)'}`, LINE_WIDTH - 4, '      ');
  lines.push(...list('setup', wl.setup));
  wl.threads.forEach((ops, i) => lines.push(...list(`T${i}`, ops)));
  return lines;
}

/** Thread names of trace events (each event names its thread; ids repeat across phases). */
export function traceThreadNames(trace: readonly TraceEvent[], _wl?: Workload): string[] {
  return trace.map((e) => e.name);
}

/** Everything the violation text needs: a document, or a replayed run in a document's frame. */
export interface ViolationReport {
  violation: Violation;
  seed: number;
  scheduleIndex: number;
  workloadIndex: number;
  scheduleSeed: number;
  profile: string;
  variants: readonly string[];
  fixes: readonly string[];
  workload: Workload;
  ops: readonly OpRecord[];
  trace: readonly TraceEvent[];
  decisions: number;
  /** The compact schedule of the run shown, and the minimisation line when it was minimised. */
  compact?: string;
  minimised?: string;
}

/** The report of a document shows its minimal counterexample when it has one. */
export function reportOf(doc: ViolationDoc): ViolationReport {
  const m = doc.minimal;
  if (m) {
    return {
      ...reportOfOriginal(doc),
      violation: m.violation,
      workload: m.workload,
      ops: m.ops,
      trace: m.trace,
      decisions: m.decisions.length,
      compact: m.compact,
      minimised: `minimised from ${m.from.steps} steps / ${m.from.preemptions} preemptions to ${m.steps} / ${m.preemptions} (original schedule: --schedule original)`,
    };
  }
  return reportOfOriginal(doc);
}

export function reportOfOriginal(doc: ViolationDoc): ViolationReport {
  return {
    compact: doc.schedule.compact,
    violation: doc.violation,
    seed: doc.seed,
    scheduleIndex: doc.scheduleIndex,
    workloadIndex: doc.workloadIndex,
    scheduleSeed: doc.scheduleSeed,
    profile: doc.profile,
    variants: doc.variants,
    fixes: doc.fixes,
    workload: doc.workload,
    ops: doc.ops,
    trace: doc.trace,
    decisions: doc.schedule.decisions.length,
  };
}

/** The first line of a message that says something (lockdep reports open with a ===== banner). */
export function headline(message: string): string {
  return (message.split('\n').find((l) => /[A-Za-z0-9]/.test(l)) ?? message).trim();
}

export function violationHeader(v: Violation): string {
  return `VIOLATION ${v.kind}${v.invariant ? ` [${v.invariant}]` : ''} at ${v.location}`;
}

/** The text of a violation for people: what, where, the workload, the ops, each thread's last steps, how to replay. */
export function violationText(r: ViolationReport, docPath: string): string {
  const v = r.violation;
  const out: string[] = [];
  const push = (line: string, indent = '    ') => out.push(...wrap(line, LINE_WIDTH, indent));
  push(violationHeader(v));
  for (const line of v.message.split('\n')) push(line, `${/^\s*/.exec(line)![0]}    `);
  if (v.invariant && INVARIANTS[v.invariant]) push(`${v.invariant}: ${INVARIANTS[v.invariant]}`);
  push(`thread ${v.threadName}, step ${v.step}`);
  push(`seed ${r.seed}, schedule ${r.scheduleIndex} (workload ${r.workloadIndex}), schedule seed ${r.scheduleSeed}, ${r.decisions} decisions`);
  push(`profile ${r.profile}, variants: ${r.variants.length ? r.variants.join(', ') : 'none'}`);
  push(`fixes applied: ${r.fixes.length ? r.fixes.join(', ') : 'none'}`);
  if (r.minimised) push(r.minimised);

  out.push('', 'Workload');
  for (const line of workloadLines(r.workload)) out.push(`  ${line}`);

  out.push('', 'Operations (in completion order)');
  if (r.ops.length === 0) out.push('  (none completed)');
  const tw = Math.max(6, ...r.ops.map((o) => o.thread.length));
  const ow = Math.min(70, Math.max(...r.ops.map((o) => o.op.length), 0));
  for (const o of r.ops) out.push(clip(`  ${o.thread.padEnd(tw)}  ${o.op.padEnd(ow)}  ${o.result}`, LINE_WIDTH));

  out.push('', `Last steps of each thread (up to ${LAST_STEPS}; >> marks the failing step)`);
  const names = traceThreadNames(r.trace, r.workload);
  const order: string[] = [];
  const byName = new Map<string, number[]>();
  names.forEach((n, i) => {
    let l = byName.get(n);
    if (!l) byName.set(n, (l = []));
    if (l.length === 0) order.push(n);
    l.push(i);
  });
  if (order.length === 0) out.push('  (no trace)');
  const sw = String(Math.max(r.trace.length ? r.trace[r.trace.length - 1]!.step : 0, v.step)).length;
  const nw = Math.max(2, ...order.map((n) => n.length));
  const line = (mark: boolean, step: number, name: string, text: string) =>
    clip(`  ${mark ? '>>' : '  '} step ${String(step).padStart(sw)}  ${name.padEnd(nw)}  ${text}`, LINE_WIDTH);
  for (const name of order) {
    const idx = byName.get(name)!;
    const failing = name === v.threadName;
    const shown = idx.slice(-LAST_STEPS);
    // The violation ends its step, so it is marked on that step's last event; the failing step
    // often has no event of its own (the faulting access is not traced), and then the violation
    // gets a line of its own rather than the marker moving to an earlier step.
    const at = failing ? shown.filter((i) => r.trace[i]!.step === v.step).pop() : undefined;
    out.push(`  ${name}${failing ? ' (failing thread)' : ''}${idx.length > LAST_STEPS ? ` ... ${idx.length - LAST_STEPS} earlier events` : ''}`);
    let pending = failing && at === undefined;
    for (const i of shown) {
      const e = r.trace[i]!;
      if (pending && e.step > v.step) {
        out.push(line(true, v.step, name, violationHeader(v)));
        pending = false;
      }
      out.push(line(i === at, e.step, name, e.text));
    }
    if (pending) out.push(line(true, v.step, name, violationHeader(v)));
  }
  if (!byName.has(v.threadName)) {
    out.push(`  ${v.threadName} (failing thread): no trace events${v.threadName === 'quiescence' ? '; it failed after every thread finished' : ''}`);
    out.push(line(true, v.step, v.threadName, violationHeader(v)));
  }
  out.push('', `Replay: ${replayCommand(docPath)}`);
  if (r.compact) out.push(`Schedule: ${r.compact}`, `  (or: ${replayCommand(docPath)} --schedule ${r.compact})`);
  return out.join('\n') + '\n';
}

// ---- summary -------------------------------------------------------------------------------

function cov(name: string, c: CoverageFigures): string {
  return `${name} states ${c.states.hit}/${c.states.total}, transitions ${c.transitions.hit}/${c.transitions.total}`;
}

function num(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The shards (1-based) a merge lacks: its figures cover only the others' share of the campaign. */
export function missingShards(merged: { count: number; shards: readonly number[] } | null): number[] {
  if (!merged) return [];
  const have = new Set(merged.shards);
  return Array.from({ length: merged.count }, (_, i) => i + 1).filter((k) => !have.has(k));
}

/** The human summary of a stress campaign (fast-check style: what failed, where, how to replay). */
export function summaryText(s: StressSummary): string {
  const out: string[] = [];
  const push = (line: string, indent = '      ') => out.push(...wrap(line, LINE_WIDTH, indent));
  const missing = missingShards(s.merged);
  const stop: Record<StressSummary['stoppedBy'], string> = {
    // A shard or a partial merge ran all of its own schedules, but not all the campaign requested.
    runs: s.shard
      ? `all of shard ${s.shard.index}/${s.shard.count}'s schedules ran (the other shards run the rest)`
      : missing.length
        ? `partial merge: ${num(s.runsDone)} of ${num(s.runsRequested)} requested schedules ran`
        : 'all requested schedules ran',
    violation: 'stopped at the first violation (--keep-going collects all)',
    time: 'stopped by --time',
    interrupt: `INTERRUPTED (${s.signal === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C'})`,
  };
  const part = s.shard
    ? `, shard ${s.shard.index}/${s.shard.count}`
    : s.merged && s.merged.count > 1
      ? `, merged shards ${s.merged.shards.join(', ')} of ${s.merged.count}`
      : '';
  push(
    `iommufd-model ${s.tool.version} stress: seed ${s.seed}${part}, profile ${s.profile}, variants: ${s.variants.length ? s.variants.join(', ') : 'none'}`,
  );
  push(
    `  ${num(s.runsDone)}/${num(s.runsRequested)} schedules, ${num(s.steps)} steps in ${s.elapsedSeconds.toFixed(1)} s ` +
      `(${num(s.schedulesPerSecond)} schedules/s, ${num(s.stepsPerSecond)} steps/s, ${s.workers} worker${s.workers === 1 ? '' : 's'}); ${stop[s.stoppedBy]}`,
  );
  if (missing.length) {
    push(
      `  missing shard${missing.length === 1 ? '' : 's'} ${missing.map((k) => `${k}/${s.merged!.count}`).join(', ')}: ` +
        'merge their folders with this one for the whole campaign',
    );
  }
  if (s.fixes.length) {
    push(`  fixes applied (${s.fixes.length}):`);
    for (const f of s.fixes) out.push(clip(`    ${f.name} (${f.closes}): ${f.summary}`, LINE_WIDTH));
  } else push('  fixes applied: none');
  push(`  coverage: ${cov('device', s.coverage.device)}; ${cov('hwpt', s.coverage.hwpt)}`);
  const b = s.strategy.pctBound;
  push(
    `  scheduler: ${s.strategy.name}${b ? `; PCT per-run bound for a depth-${b.d} bug 1/(n*k^(d-1)) = ${b.bound.toExponential(2)} (n=${b.n} threads, k=${b.k} steps: the longest run)` : ''}`,
  );

  const d = s.violations.distinct;
  if (d.length === 0) {
    out.push('', `OK: no violation in ${num(s.runsDone)} schedules${s.interrupted ? ' (interrupted)' : ''}`);
    out.push(`  summary: ${s.outDir}/summary.json`);
    return out.join('\n') + '\n';
  }
  const kinds = Object.entries(s.violations.byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${num(n)}`)
    .join(', ');
  out.push('');
  push(`FAILED: ${d.length} distinct violation${d.length === 1 ? '' : 's'} (schedules by kind: ${kinds})`);
  for (const x of d) {
    push(`  ${String(x.n).padStart(4, '0')} ${x.kind}${x.invariant ? ` [${x.invariant}]` : ''} at ${x.location}, schedule ${x.scheduleIndex} (workload ${x.workloadIndex}), ${x.thread} step ${x.step}`);
    out.push(clip(`       ${headline(x.message)}`, LINE_WIDTH));
    out.push(`       ${x.text}`);
  }
  out.push('', 'Replay the first one:', `  ${s.replay}`);
  return out.join('\n') + '\n';
}
