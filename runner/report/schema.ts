// The JSON documents' schemas as zod definitions: the violation document, the stress summary and
// the replay --json result (whose TypeScript types live in runner/doc.ts), the check --json report
// (runner/check.ts) and the Chrome trace the reports write (whose type is defined here). schema/*.schema.json is generated from these
// (write-schemas.ts), and the compile-time checks at the bottom fail the build when these and
// the TypeScript types disagree, so the published schema cannot drift from the code.
import { z } from 'zod';
import { Errno, type ErrnoName } from '../../engine/errno.js';
import { FAULT_POINT_NAMES } from '../../engine/faults.js';
import { PROFILES } from '../../engine/profiles.js';
import { VARIANT_NAMES } from '../../engine/variants.js';
import { STRATEGIES } from '../stress.js';
import { SCHEMA_VERSION, VIOLATION_KINDS, type ReplayResult, type StressSummary, type ViolationDoc } from '../doc.js';
import type { CheckReport } from '../check.js';

// Names and descriptions for the published schemas live in this registry rather than zod's
// global one, so loading this module twice (tests) cannot collide on an id.
const META = z.registry<{ id?: string; title?: string; description?: string; enum?: readonly string[] }>();
function meta<T extends z.ZodType>(schema: T, m: { id?: string; title?: string; description?: string; enum?: readonly string[] }): T {
  META.add(schema, m);
  return schema;
}

const int = () => z.number().int();
const nat = () => z.number().int().min(0);
const u32 = () => z.number().int().min(0).max(0xffffffff);

const ERRNO_NAMES = Object.keys(Errno) as ErrnoName[];

const tool = meta(z.object({ name: z.string(), version: z.string() }), { id: 'Tool' });
const profile = z.enum(PROFILES);
const variant = z.enum(VARIANT_NAMES);
const ref = meta(z.union([z.string(), nat()]), { id: 'Ref', description: 'a symbolic name bound by an earlier step, or a raw object id' });

const region = z.object({ start: nat(), length: int().min(1), type: z.enum(['reserved', 'direct', 'direct-relaxable', 'msi', 'sw-msi']) });
const topology = meta(z.object({
  iommus: z.array(z.object({ enforceCC: z.boolean(), isolatedMsi: z.boolean() })).min(1),
  groups: z.array(
    z.object({
      iommu: nat(),
      devices: z.array(z.object({ cacheCoherent: z.boolean(), enforceCC: z.boolean(), resv: z.array(region) })),
    }),
  ),
  ioas: z.array(z.object({ mapped: z.array(z.object({ start: nat(), length: int().min(1) })) })),
}), { id: 'Topology' });

const op = meta(z.discriminatedUnion('op', [
  z.object({ op: z.literal('ioas_alloc'), as: z.string() }),
  z.object({ op: z.literal('hwpt_alloc'), dev: ref, pt: ref, flags: nat(), as: z.string() }),
  z.object({ op: z.literal('destroy'), id: ref }),
  z.object({ op: z.literal('mock_domain'), pt: ref, as: z.string() }),
  z.object({ op: z.literal('mock_replace'), dev: ref, pt: ref, out: z.string().optional() }),
  z.object({ op: z.literal('bind'), dev: nat() }),
  z.object({ op: z.literal('attach'), dev: nat(), pt: ref, out: z.string().optional() }),
  z.object({ op: z.literal('replace'), dev: nat(), pt: ref, out: z.string().optional() }),
  z.object({ op: z.literal('detach'), dev: nat() }),
  z.object({ op: z.literal('unbind'), dev: nat() }),
]), { id: 'Op', description: 'one operation of a workload (workload/types.ts)' });

// The type says string[]; the names are checked at run time (refine) and published (enum).
const faultPoint = meta(
  z.string().refine((s) => (FAULT_POINT_NAMES as string[]).includes(s), { message: 'not a failure point' }),
  { enum: FAULT_POINT_NAMES },
);

const workload = meta(z.object({
  topology,
  setup: z.array(op),
  threads: z.array(z.array(op)).min(1),
  faultDen: nat(),
  faultPoints: z.array(faultPoint).optional(),
}), { id: 'Workload' });

const violation = meta(z.object({
  kind: z.enum(VIOLATION_KINDS),
  invariant: z.string().optional(),
  location: z.string(),
  message: z.string(),
  thread: int().min(-1),
  threadName: z.string(),
  step: nat(),
  details: meta(z.unknown(), { description: 'kind-specific: a lockdep report, a deadlock\'s wait-for edges, a stack' }).optional(),
}), { id: 'Violation' });

const opRecord = meta(z.object({ thread: z.string(), op: z.string(), result: z.enum(['ok', ...ERRNO_NAMES, 'skipped']) }), { id: 'OpRecord' });
const traceEvent = meta(z.object({ step: nat(), thread: int().min(-1), name: z.string(), text: z.string() }), { id: 'TraceEvent' });

const docOptions = meta(z.object({
  runs: int().min(1),
  threads: int().min(1).nullable(),
  profile,
  variants: z.array(variant),
  workloadEvery: int().min(1),
  maxSteps: int().min(1),
  faults: z.boolean(),
  atomicity: z.boolean(),
  scheduler: z.enum([...STRATEGIES, 'dfs']),
  pctDepth: int().min(1).optional(),
  dfsBudget: int().min(1).optional(),
}), { id: 'DocOptions' });

export const violationDocSchema = meta(
  z.object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    tool,
    seed: u32(),
    scheduleIndex: nat(),
    workloadIndex: nat(),
    scheduleSeed: u32(),
    options: docOptions,
    profile,
    variants: z.array(variant),
    fixes: z.array(z.string()),
    workload,
    schedule: z.object({
      decisions: meta(z.array(int()), { description: 'thread picks as thread ids >= 0, fault draws v as -(v + 1)' }),
      compact: z.string(),
      enabled: meta(z.string(), { description: 'per pick, the enabled threads as bitmasks, encoded like compact' }).optional(),
    }),
    minimal: z
      .object({
        workload,
        decisions: z.array(int()),
        compact: z.string(),
        enabled: z.string().optional(),
        steps: nat(),
        preemptions: nat(),
        from: z.object({ steps: nat(), preemptions: nat() }),
        violation,
        ops: z.array(opRecord),
        trace: z.array(traceEvent),
      })
      .optional(),
    violation,
    ops: z.array(opRecord),
    trace: z.array(traceEvent),
    replay: z.string(),
  }),
  { title: 'iommufd-model violation document', description: 'One violation found by stress or explore: replayable (workload, decisions, options) and readable (ops, trace).' },
);

const coverageFigures = meta(z.object({
  // Written by the stress command (the summary of models/coverage.ts), not in the CoverageFigures type.
  machine: z.string().optional(),
  states: z.object({ hit: nat(), total: nat(), missed: z.array(z.string()) }),
  transitions: z.object({ hit: nat(), total: nat(), missed: z.array(z.string()) }),
}), { id: 'CoverageFigures' });

/** Operation name -> outcome ('ok', an errno, 'skipped') -> schedules' operations that ended so. */
export const opOutcomesSchema = meta(z.record(z.string(), z.record(z.string(), nat())), { id: 'OpOutcomes' });

export const stressSummarySchema = meta(
  z.object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    tool,
    seed: u32(),
    runsDone: nat(),
    runsRequested: nat(),
    steps: nat(),
    elapsedSeconds: z.number().min(0),
    stepsPerSecond: z.number().min(0),
    schedulesPerSecond: z.number().min(0),
    workers: int().min(1),
    profile,
    variants: z.array(variant),
    fixes: z.array(z.object({ name: z.string(), closes: z.string(), summary: z.string() })),
    options: docOptions.extend({ keepGoing: z.boolean(), timeSeconds: z.number().min(0).nullable() }),
    violations: z.object({
      byKind: z.record(z.string(), nat()),
      distinct: z.array(
        z.object({
          n: int().min(1),
          file: z.string(),
          text: z.string(),
          kind: z.string(),
          invariant: z.string().nullable(),
          location: z.string(),
          message: z.string(),
          scheduleIndex: nat(),
          workloadIndex: nat(),
          thread: z.string(),
          step: nat(),
        }),
      ),
    }),
    coverage: z.object({
      device: coverageFigures,
      hwpt: coverageFigures,
      ops: opOutcomesSchema,
    }),
    strategy: z.object({
      name: z.string(),
      pctDepth: int().min(1).nullable(),
      pctBound: z.object({ n: nat(), k: nat(), d: nat(), bound: z.number() }).nullable(),
    }),
    interrupted: z.boolean(),
    stoppedBy: z.enum(['runs', 'violation', 'time', 'interrupt']),
    signal: z.enum(['SIGINT', 'SIGTERM']).nullable(),
    shard: z.object({ index: int().min(1), count: int().min(1) }).nullable(),
    merged: z.object({ count: int().min(1), shards: z.array(int().min(1)) }).nullable(),
    outDir: z.string(),
    replay: z.string().nullable(),
    dfs: z
      .object({ budget: int().min(1), workloads: nat(), complete: nat(), cut: nat(), stopped: nat(), noClaim: nat() })
      .optional(),
  }),
  { title: 'iommufd-model stress summary', description: 'DIR/summary.json of a stress campaign; coverage.ops counts the operations\' outcomes over every schedule.' },
);

// ---- the Chrome trace-event file (object form) the reports write ----------------------------

const ids = { pid: nat(), tid: nat() };
const ts = meta(z.number().min(0), { description: 'microseconds: 1000 per logical step, the event order within the step below that' });
const args = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export const chromeTraceSchema = meta(
  z.object({
    traceEvents: z.array(
      z.discriminatedUnion('ph', [
        z.object({ ph: z.literal('M'), name: z.enum(['process_name', 'thread_name', 'thread_sort_index']), ...ids, args }),
        z.object({ ph: z.literal('X'), name: z.string(), cat: z.string(), ts, dur: z.number().min(0), ...ids, args }),
        z.object({ ph: z.literal('b'), name: z.string(), cat: z.string(), id: z.string(), ts, ...ids, args }),
        z.object({ ph: z.literal('e'), name: z.string(), cat: z.string(), id: z.string(), ts, ...ids, args }),
        z.object({ ph: z.literal('i'), name: z.string(), cat: z.string(), s: z.enum(['t', 'p', 'g']), ts, ...ids, args }),
        z.object({ ph: z.literal('C'), name: z.string(), ts, ...ids, args: z.record(z.string(), z.number()) }),
      ]),
    ),
    displayTimeUnit: z.literal('ms'),
    otherData: z.object({
      schemaVersion: z.literal(SCHEMA_VERSION),
      tool,
      document: z.string(),
      violation: z.string(),
      timeUnit: z.string(),
    }),
  }),
  {
    title: 'iommufd-model violation timeline',
    description: 'Chrome trace-event JSON (object form) for Perfetto and chrome://tracing; timestamps are logical steps.',
  },
);

export type ChromeTrace = z.infer<typeof chromeTraceSchema>;
export type ChromeTraceEvent = ChromeTrace['traceEvents'][number];
export type OpOutcomes = z.infer<typeof opOutcomesSchema>;

const stepResult = z.object({
  index: nat(),
  op: z.string(),
  expected: z.string(),
  actual: meta(z.string(), { description: '"ok", an errno name, "violation: KIND at LOCATION", "error: ...", "deadlock" or "step-bound"' }),
  pass: z.boolean(),
  detail: z.string().optional(),
  warnings: z.array(z.string()),
});

export const checkReportSchema = meta(
  z.object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    tool,
    profile,
    passed: nat(),
    failed: nat(),
    files: z.array(
      z.object({
        file: z.string(),
        scenarios: z.array(
          z.object({ name: z.string(), source: z.string().optional(), pass: z.boolean(), steps: z.array(stepResult), firstFailure: stepResult.optional() }),
        ),
      }),
    ),
  }),
  { title: 'iommufd-model check report', description: '`check --json`: every scenario step\'s expected and actual result.' },
);

export const replayResultSchema = meta(
  z.object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    tool,
    file: z.string(),
    outcome: z.enum(['reproduced', 'diverged', 'no-violation', 'different-violation']),
    expected: z.object({ kind: z.string(), invariant: z.string().nullable(), location: z.string(), message: z.string() }),
    got: violation.nullable(),
    divergence: z
      .object({
        index: nat(),
        step: nat(),
        expected: z.string(),
        enabled: z.array(nat()),
        recordedEnabled: z.array(nat()).nullable(),
      })
      .nullable(),
    decisionsRecorded: nat(),
    decisionsConsumed: nat(),
    steps: nat().nullable(),
  }),
  { title: 'iommufd-model replay result', description: '`replay --json`: whether the document\'s violation was reproduced, and where a replay diverged.' },
);

// ---- the schemas and the TypeScript types must describe the same documents ------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const docMatches: Same<z.infer<typeof violationDocSchema>, ViolationDoc> = true;
const summaryMatches: Same<z.infer<typeof stressSummarySchema>, StressSummary> = true;
const checkMatches: Same<z.infer<typeof checkReportSchema>, CheckReport> = true;
const replayMatches: Same<z.infer<typeof replayResultSchema>, ReplayResult> = true;
void docMatches;
void summaryMatches;
void checkMatches;
void replayMatches;

export const SCHEMAS = {
  'violation.schema.json': violationDocSchema,
  'summary.schema.json': stressSummarySchema,
  'trace.schema.json': chromeTraceSchema,
  'check.schema.json': checkReportSchema,
  'replay.schema.json': replayResultSchema,
} as const;

/** The published JSON Schema (draft 2020-12) of one of SCHEMAS, as its file's text. */
export function jsonSchemaText(name: keyof typeof SCHEMAS): string {
  return JSON.stringify(z.toJSONSchema(SCHEMAS[name], { target: 'draft-2020-12', metadata: META }), null, 2) + '\n';
}
