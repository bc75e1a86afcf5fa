// The violation document: one found violation as JSON, self-contained enough to replay it
// (workload + recorded decisions + run options) and to read it without the tool (ops, trace).
// Also the stress summary document, safe JSON serialisation and atomic file writes.
import { readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Violation, ViolationKind } from '../engine/violation.js';
import type { TraceEvent } from '../engine/kernel.js';
import { FAULT_POINT_NAMES } from '../engine/faults.js';
import { decodeSchedule, encodeSchedule, ScheduleFormatError } from '../schedulers/encoding.js';
import { STRATEGIES, type StrategyName } from './stress.js';
import { fixesApplied, isProfile, type ProfileName } from '../engine/profiles.js';
import { isVariant, type VariantName } from '../engine/variants.js';
import type { RegionType, Topology } from '../engine/topology.js';
import { MAX_WORKLOAD_THREADS, type Workload } from '../workload/types.js';
import type { OpRecord } from '../workload/execute.js';
import type { DfsCoverage, Found } from './stress.js';
import type { OpOutcomes } from './outcomes.js';

export const SCHEMA_VERSION = 1;
export const TOOL_NAME = 'iommufd-model';

let version: string | undefined;
/** The package version (package.json two levels above dist/runner/doc.js or runner/doc.ts). */
export function toolVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      try {
        const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
        version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
      } catch {
        version = '0.0.0';
      }
    }
  }
  return version;
}

/** The stress options a violation was found with (what replay needs, and what reproduces the campaign). */
export interface DocOptions {
  runs: number;
  threads: number | null;
  profile: ProfileName;
  variants: VariantName[];
  workloadEvery: number;
  maxSteps: number;
  faults: boolean;
  atomicity: boolean;
  scheduler: StrategyName | 'dfs';
  /** PCT depth (pct and portfolio). */
  pctDepth?: number;
  /** dfs in stress: executions per workload at most. */
  dfsBudget?: number;
}

export interface ViolationDoc extends DocHeader {
  seed: number;
  /** Found.index: the schedule number in the campaign. */
  scheduleIndex: number;
  workloadIndex: number;
  scheduleSeed: number;
  options: DocOptions;
  profile: ProfileName;
  variants: VariantName[];
  fixes: string[];
  workload: Workload;
  /**
   * Thread picks are thread ids >= 0, fault draws v are recorded as -(v + 1); `compact` is the same
   * as one line; `enabled`, per pick, the threads that were enabled (bitmasks, encoded as compact),
   * which a replay that diverges shows beside the ones enabled then.
   */
  schedule: { decisions: number[]; compact: string; enabled?: string };
  /** The minimal counterexample (its own workload and schedule), unless minimisation was skipped. */
  minimal?: MinimalDoc;
  violation: Violation;
  ops: OpRecord[];
  trace: TraceEvent[];
  /** The command that replays this document. */
  replay: string;
}

/** What every JSON document the tool writes starts with. */
export interface DocHeader {
  schemaVersion: 1;
  tool: { name: string; version: string };
}

/** What `replay --json` writes (schema/replay.schema.json). */
export type ReplayOutcome = 'reproduced' | 'diverged' | 'no-violation' | 'different-violation';

export interface ReplayResult extends DocHeader {
  file: string;
  outcome: ReplayOutcome;
  expected: { kind: string; invariant: string | null; location: string; message: string };
  got: Violation | null;
  divergence: { index: number; step: number; expected: string; enabled: number[]; recordedEnabled: number[] | null } | null;
  decisionsRecorded: number;
  decisionsConsumed: number;
  steps: number | null;
}

export interface MinimalDoc {
  workload: Workload;
  decisions: number[];
  compact: string;
  /** Per pick, the enabled threads, as in schedule.enabled. */
  enabled?: string;
  steps: number;
  preemptions: number;
  from: { steps: number; preemptions: number };
  violation: Violation;
  ops: OpRecord[];
  trace: TraceEvent[];
}

/** Quote a path for a POSIX shell when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function replayCommand(path: string): string {
  return `npm run cli -- replay ${shellQuote(path)}`;
}

export function buildDoc(f: Found, seed: number, options: DocOptions, path: string): ViolationDoc {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: toolVersion() },
    seed,
    scheduleIndex: f.index,
    workloadIndex: f.workloadIndex,
    scheduleSeed: f.scheduleSeed,
    options: { ...options, variants: [...options.variants] },
    profile: options.profile,
    variants: [...options.variants],
    fixes: fixesApplied(options.profile),
    workload: f.workload,
    schedule: { decisions: f.decisions, compact: encodeSchedule(f.decisions), ...(f.enabledSets ? { enabled: encodeSchedule(f.enabledSets) } : {}) },
    ...(f.minimal
      ? {
          minimal: {
            workload: f.minimal.workload,
            decisions: f.minimal.decisions,
            compact: f.minimal.compact,
            ...(f.minimal.enabledSets ? { enabled: encodeSchedule(f.minimal.enabledSets) } : {}),
            steps: f.minimal.steps,
            preemptions: f.minimal.preemptions,
            from: f.minimal.from,
            violation: f.minimal.violation,
            ops: f.minimal.ops,
            trace: f.minimal.trace,
          },
        }
      : {}),
    violation: f.violation,
    ops: f.ops,
    trace: f.trace,
    replay: replayCommand(path),
  };
}

// ---- JSON ---------------------------------------------------------------------------------

/**
 * JSON.stringify that never throws on what a violation's `details` may hold: cycles become
 * "[Circular]" (shared, acyclic objects are copied), Errors {name, message}, Maps objects,
 * Sets arrays, bigints strings; functions and symbols are dropped.
 */
export function safeStringify(v: unknown): string {
  return JSON.stringify(plain(v, [])) ?? 'null';
}

function plain(x: unknown, stack: object[]): unknown {
  if (typeof x === 'bigint') return x.toString();
  if (typeof x === 'function' || typeof x === 'symbol') return undefined;
  if (x === null || typeof x !== 'object') return x;
  if (stack.includes(x)) return '[Circular]';
  stack.push(x);
  try {
    if (x instanceof Error) return { name: x.name, message: x.message };
    const j = (x as { toJSON?: unknown }).toJSON;
    if (typeof j === 'function') return plain(j.call(x), stack);
    if (Array.isArray(x)) return x.map((y) => plain(y, stack) ?? null);
    if (x instanceof Set) return [...x].map((y) => plain(y, stack) ?? null);
    const out: Record<string, unknown> = {};
    const entries = x instanceof Map ? [...x.entries()].map(([k, y]) => [String(k), y] as const) : Object.entries(x);
    for (const [k, y] of entries) {
      const p = plain(y, stack);
      if (p !== undefined) out[k] = p;
    }
    return out;
  } finally {
    stack.pop();
  }
}

/** Plain JSON data (no class instances, cycles, functions) equal to what safeStringify writes. */
export function toPlain<T>(v: T): T {
  return JSON.parse(safeStringify(v)) as T;
}

/** Pretty JSON that keeps short objects and number arrays on one line (decision lists stay readable). */
export function formatJson(v: unknown, width = 110): string {
  return fmt(toPlain(v), '', width) + '\n';
}

function fmt(v: unknown, indent: string, width: number): string {
  const flat = JSON.stringify(v);
  if (v === null || typeof v !== 'object' || indent.length + flat.length <= width) return flat;
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => typeof x === 'number')) {
      const lines: string[] = [];
      let line = '';
      for (const x of v as number[]) {
        const s = String(x);
        if (line && inner.length + line.length + s.length + 2 > width) {
          lines.push(line);
          line = '';
        }
        line += (line ? ', ' : '') + s;
      }
      if (line) lines.push(line);
      return `[\n${lines.map((l) => inner + l).join(',\n')}\n${indent}]`;
    }
    return `[\n${v.map((x) => inner + fmt(x, inner, width)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${fmt(x, inner, width)}`).join(',\n')}\n${indent}}`;
}

/** Write a file atomically: a temporary file in the same directory, then rename over the target. */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}

// ---- validation ---------------------------------------------------------------------------

/** A document that does not have the documented shape; the message names the field. */
export class DocError extends Error {}

type Obj = Record<string, unknown>;

/** Every violation kind (a tuple: the zod schema's enum is built from it too). */
export const VIOLATION_KINDS = [
  'use-after-free',
  'refcount',
  'model',
  'invariant',
  'warn',
  'assert',
  'lockdep-circular',
  'lockdep-recursive',
  'deadlock',
  'livelock',
  'internal',
] as const satisfies readonly ViolationKind[];
// Fails to compile when a kind is added to engine/violation.ts and not listed above.
const allKinds: Exclude<ViolationKind, (typeof VIOLATION_KINDS)[number]> extends never ? true : false = true;
void allKinds;
const REGION_TYPES: readonly RegionType[] = ['reserved', 'direct', 'direct-relaxable', 'msi', 'sw-msi'];

function bad(path: string, what: string): never {
  throw new DocError(`${path} ${what}`);
}
function obj(v: unknown, path: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(path, 'must be an object');
  return v as Obj;
}
function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) bad(path, 'must be an array');
  return v;
}
function int(v: unknown, path: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(path, 'must be an integer');
  if (v < min || v > max) bad(path, `must be between ${min} and ${max}`);
  return v;
}
function str(v: unknown, path: string): string {
  if (typeof v !== 'string') bad(path, 'must be a string');
  return v;
}
function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') bad(path, 'must be a boolean');
  return v;
}
function ref(v: unknown, path: string): void {
  if (typeof v !== 'string') int(v, path, 0);
}
function optStr(o: Obj, k: string, path: string): void {
  if (o[k] !== undefined) str(o[k], `${path}.${k}`);
}

function checkTopology(v: unknown, p: string): void {
  const t = obj(v, p);
  const iommus = arr(t.iommus, `${p}.iommus`);
  if (iommus.length === 0) bad(`${p}.iommus`, 'must not be empty');
  iommus.forEach((x, i) => {
    const m = obj(x, `${p}.iommus[${i}]`);
    bool(m.enforceCC, `${p}.iommus[${i}].enforceCC`);
    bool(m.isolatedMsi, `${p}.iommus[${i}].isolatedMsi`);
  });
  arr(t.groups, `${p}.groups`).forEach((x, gi) => {
    const gp = `${p}.groups[${gi}]`;
    const g = obj(x, gp);
    int(g.iommu, `${gp}.iommu`, 0, iommus.length - 1);
    arr(g.devices, `${gp}.devices`).forEach((y, di) => {
      const dp = `${gp}.devices[${di}]`;
      const d = obj(y, dp);
      bool(d.cacheCoherent, `${dp}.cacheCoherent`);
      bool(d.enforceCC, `${dp}.enforceCC`);
      arr(d.resv, `${dp}.resv`).forEach((z, ri) => {
        const rp = `${dp}.resv[${ri}]`;
        const r = obj(z, rp);
        int(r.start, `${rp}.start`, 0);
        int(r.length, `${rp}.length`, 1);
        if (!REGION_TYPES.includes(r.type as RegionType)) bad(`${rp}.type`, `must be one of ${REGION_TYPES.join(', ')}`);
      });
    });
  });
  arr(t.ioas, `${p}.ioas`).forEach((x, i) => {
    const s = obj(x, `${p}.ioas[${i}]`);
    arr(s.mapped, `${p}.ioas[${i}].mapped`).forEach((y, j) => {
      const m = obj(y, `${p}.ioas[${i}].mapped[${j}]`);
      int(m.start, `${p}.ioas[${i}].mapped[${j}].start`, 0);
      int(m.length, `${p}.ioas[${i}].mapped[${j}].length`, 1);
    });
  });
}

function checkOp(v: unknown, p: string, nDevices: number): void {
  const o = obj(v, p);
  const dev = (k: string) => int(o[k], `${p}.${k}`, 0, Math.max(0, nDevices - 1));
  switch (o.op) {
    case 'ioas_alloc':
      str(o.as, `${p}.as`);
      return;
    case 'hwpt_alloc':
      ref(o.dev, `${p}.dev`);
      ref(o.pt, `${p}.pt`);
      int(o.flags, `${p}.flags`, 0);
      str(o.as, `${p}.as`);
      return;
    case 'destroy':
      ref(o.id, `${p}.id`);
      return;
    case 'mock_domain':
      ref(o.pt, `${p}.pt`);
      str(o.as, `${p}.as`);
      return;
    case 'mock_replace':
      ref(o.dev, `${p}.dev`);
      ref(o.pt, `${p}.pt`);
      optStr(o, 'out', p);
      return;
    case 'bind':
    case 'detach':
    case 'unbind':
      dev('dev');
      return;
    case 'attach':
    case 'replace':
      dev('dev');
      ref(o.pt, `${p}.pt`);
      optStr(o, 'out', p);
      return;
    default:
      bad(`${p}.op`, `is not a known operation (${JSON.stringify(o.op)})`);
  }
}

/** A workload read on its own (explore FILE): validated like a document's, errors are DocError. */
export function parseWorkload(v: unknown): Workload {
  checkWorkload(v, 'workload');
  return v as Workload;
}

function checkWorkload(v: unknown, p: string): void {
  const w = obj(v, p);
  checkTopology(w.topology, `${p}.topology`);
  const topo = w.topology as Topology;
  const nDevices = topo.groups.reduce((n, g) => n + g.devices.length, 0);
  arr(w.setup, `${p}.setup`).forEach((o, i) => checkOp(o, `${p}.setup[${i}]`, nDevices));
  const threads = arr(w.threads, `${p}.threads`);
  if (threads.length === 0) bad(`${p}.threads`, 'must not be empty');
  if (threads.length > MAX_WORKLOAD_THREADS) bad(`${p}.threads`, `has ${threads.length} threads; at most ${MAX_WORKLOAD_THREADS} are supported`);
  threads.forEach((t, i) => arr(t, `${p}.threads[${i}]`).forEach((o, j) => checkOp(o, `${p}.threads[${i}][${j}]`, nDevices)));
  int(w.faultDen, `${p}.faultDen`, 0);
  if (w.faultPoints !== undefined) {
    arr(w.faultPoints, `${p}.faultPoints`).forEach((x, i) => {
      const name = str(x, `${p}.faultPoints[${i}]`);
      if (!(FAULT_POINT_NAMES as string[]).includes(name)) bad(`${p}.faultPoints[${i}]`, `is not a failure point (${JSON.stringify(name)})`);
    });
  }
}

function checkEnabled(v: unknown, p: string): void {
  try {
    if (decodeSchedule(str(v, p)).some((m) => m < 0)) bad(p, 'holds a negative bitmask');
  } catch (e) {
    if (e instanceof ScheduleFormatError) bad(p, e.message);
    throw e;
  }
}

function checkProfile(v: unknown, p: string): ProfileName {
  const s = str(v, p);
  if (!isProfile(s)) bad(p, `is not a profile (${JSON.stringify(s)})`);
  return s;
}

function checkVariants(v: unknown, p: string): VariantName[] {
  return arr(v, p).map((x, i) => {
    const s = str(x, `${p}[${i}]`);
    if (!isVariant(s)) bad(`${p}[${i}]`, `is not a variant (${JSON.stringify(s)})`);
    return s;
  });
}

export function checkViolation(v: unknown, p: string): Violation {
  const o = obj(v, p);
  if (!(VIOLATION_KINDS as readonly string[]).includes(o.kind as string)) bad(`${p}.kind`, `must be one of ${VIOLATION_KINDS.join(', ')}`);
  optStr(o, 'invariant', p);
  str(o.location, `${p}.location`);
  str(o.message, `${p}.message`);
  int(o.thread, `${p}.thread`, -1);
  str(o.threadName, `${p}.threadName`);
  int(o.step, `${p}.step`, 0);
  return o as unknown as Violation;
}

/** Check the shape of a parsed violation document; throws DocError naming the first bad field. */
export function validateDoc(v: unknown): ViolationDoc {
  const d = obj(v, 'document');
  if (d.schemaVersion !== SCHEMA_VERSION) {
    bad('schemaVersion', `is ${JSON.stringify(d.schemaVersion)}, this tool reads schemaVersion ${SCHEMA_VERSION}`);
  }
  const tool = obj(d.tool, 'tool');
  str(tool.name, 'tool.name');
  str(tool.version, 'tool.version');
  int(d.seed, 'seed', 0, 0xffffffff);
  int(d.scheduleIndex, 'scheduleIndex', 0);
  int(d.workloadIndex, 'workloadIndex', 0);
  int(d.scheduleSeed, 'scheduleSeed', 0, 0xffffffff);
  const o = obj(d.options, 'options');
  int(o.runs, 'options.runs', 1);
  if (o.threads !== null) int(o.threads, 'options.threads', 1, MAX_WORKLOAD_THREADS);
  const profile = checkProfile(o.profile, 'options.profile');
  const variants = checkVariants(o.variants, 'options.variants');
  int(o.workloadEvery, 'options.workloadEvery', 1);
  int(o.maxSteps, 'options.maxSteps', 1);
  bool(o.faults, 'options.faults');
  bool(o.atomicity, 'options.atomicity');
  if (typeof o.scheduler !== 'string' || ![...STRATEGIES, 'dfs'].includes(o.scheduler)) {
    bad('options.scheduler', `must be one of ${[...STRATEGIES, 'dfs'].join(', ')}`);
  }
  if (checkProfile(d.profile, 'profile') !== profile) bad('profile', 'differs from options.profile');
  if (checkVariants(d.variants, 'variants').join(',') !== variants.join(',')) bad('variants', 'differ from options.variants');
  arr(d.fixes, 'fixes').forEach((x, i) => str(x, `fixes[${i}]`));
  checkWorkload(d.workload, 'workload');
  const sched = obj(d.schedule, 'schedule');
  arr(sched.decisions, 'schedule.decisions').forEach((x, i) => int(x, `schedule.decisions[${i}]`));
  str(sched.compact, 'schedule.compact');
  if (sched.enabled !== undefined) checkEnabled(sched.enabled, 'schedule.enabled');
  if (d.minimal !== undefined) {
    const m = obj(d.minimal, 'minimal');
    checkWorkload(m.workload, 'minimal.workload');
    arr(m.decisions, 'minimal.decisions').forEach((x, i) => int(x, `minimal.decisions[${i}]`));
    str(m.compact, 'minimal.compact');
    if (m.enabled !== undefined) checkEnabled(m.enabled, 'minimal.enabled');
    int(m.steps, 'minimal.steps', 0);
    int(m.preemptions, 'minimal.preemptions', 0);
    const from = obj(m.from, 'minimal.from');
    int(from.steps, 'minimal.from.steps', 0);
    int(from.preemptions, 'minimal.from.preemptions', 0);
    checkViolation(m.violation, 'minimal.violation');
    arr(m.ops, 'minimal.ops');
    arr(m.trace, 'minimal.trace');
  }
  checkViolation(d.violation, 'violation');
  arr(d.ops, 'ops').forEach((x, i) => {
    const r = obj(x, `ops[${i}]`);
    str(r.thread, `ops[${i}].thread`);
    str(r.op, `ops[${i}].op`);
    str(r.result, `ops[${i}].result`);
  });
  arr(d.trace, 'trace').forEach((x, i) => {
    const e = obj(x, `trace[${i}]`);
    int(e.step, `trace[${i}].step`, 0);
    int(e.thread, `trace[${i}].thread`, -1);
    str(e.name, `trace[${i}].name`);
    str(e.text, `trace[${i}].text`);
  });
  str(d.replay, 'replay');
  return d as unknown as ViolationDoc;
}

/** Parse and validate a document's text; errors are DocError with a one-line message. */
export function parseDoc(text: string): ViolationDoc {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DocError(`is not valid JSON (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
  // NNNN.trace.json sits beside NNNN.json: name the mix-up rather than a missing field.
  if (v !== null && typeof v === 'object' && 'traceEvents' in v) {
    throw new DocError('is a Chrome trace-event file (a report\'s timeline), not a violation document: use the NNNN.json beside it');
  }
  return validateDoc(v);
}

// ---- the stress summary -------------------------------------------------------------------

export interface CoverageFigures {
  states: { hit: number; total: number; missed: string[] };
  transitions: { hit: number; total: number; missed: string[] };
}

export interface SummaryViolation {
  /** 1-based position in the found list (schedule order). */
  n: number;
  file: string;
  text: string;
  kind: string;
  invariant: string | null;
  location: string;
  message: string;
  scheduleIndex: number;
  workloadIndex: number;
  thread: string;
  step: number;
}

export type StopReason = 'runs' | 'violation' | 'time' | 'interrupt';

export interface StressSummary extends DocHeader {
  seed: number;
  runsDone: number;
  runsRequested: number;
  steps: number;
  elapsedSeconds: number;
  stepsPerSecond: number;
  schedulesPerSecond: number;
  /** Worker threads (a merge: every shard's added). Like the three above, how the run went, not what it found. */
  workers: number;
  profile: ProfileName;
  variants: VariantName[];
  fixes: Array<{ name: string; closes: string; summary: string }>;
  options: DocOptions & { keepGoing: boolean; timeSeconds: number | null };
  violations: {
    /** Schedules that ended in a violation, by kind (duplicates of a distinct violation included). */
    byKind: Record<string, number>;
    /** Distinct violations (kind@location), one document each. */
    distinct: SummaryViolation[];
  };
  /** Machine coverage, and the operations' outcomes counted over every schedule. */
  coverage: { device: CoverageFigures; hwpt: CoverageFigures; ops: OpOutcomes };
  /** The strategy, and for PCT the per-run detection bound 1/(n*k^(d-1)) (n threads, k steps, depth d). */
  strategy: { name: string; pctDepth: number | null; pctBound: { n: number; k: number; d: number; bound: number } | null };
  interrupted: boolean;
  stoppedBy: StopReason;
  /** The signal that stopped the run (stoppedBy 'interrupt'): exit 130 for SIGINT, 143 for SIGTERM. */
  signal: 'SIGINT' | 'SIGTERM' | null;
  /** `--shard K/N`: machine K of N ran the windows w with w mod N = K-1; null for the whole campaign. */
  shard: { index: number; count: number } | null;
  /** A `merge` output: which shards (1-based, of `count`) it combines; null for a stress run. */
  merged: { count: number; shards: number[] } | null;
  outDir: string;
  /** Replay command of the first violation, or null. */
  replay: string | null;
  /** The dfs strategy's per-workload coverage (stress --scheduler dfs only). */
  dfs?: DfsCoverage;
}
