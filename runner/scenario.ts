// Scenario files (../shared/spec/scenario-format.md): sequential iommufd operations with the
// kernel's results. Parsed from JSON or YAML and validated with zod; keys the format does not
// define are documentation and pass through.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { Errno } from '../engine/errno.js';
import { FAULT_POINT_NAMES } from '../engine/faults.js';
import { PROFILES, type ProfileName } from '../engine/profiles.js';

export const SCENARIO_FORMAT = 'iommufd-lifecycle-conformance/1';

const errnoNames = Object.keys(Errno) as [string, ...string[]];
// The messages name what is valid: a scenario is written by hand.
const result = z.union([z.literal('ok'), z.enum(errnoNames)], {
  error: (i) => (i.input === undefined ? 'required: "ok" or an errno name' : `must be "ok" or one of ${errnoNames.join(', ')} (got ${JSON.stringify(i.input)})`),
});
const ref = z.union([z.string().min(1), z.number().int().min(0)], {
  error: (i) => (i.input === undefined ? 'required: a name bound by an earlier step or an object id' : `must be a name bound by an earlier step or an object id >= 0 (got ${JSON.stringify(i.input)})`),
});
const name = z.string().min(1);

const expectations = {
  expect: result,
  expect_since_v6_7: result.optional(),
  expect_same: z.tuple([name, name]).optional(),
  expect_different: z.tuple([name, name]).optional(),
  expect_warn: z.boolean().optional(),
  inject: z.enum(FAULT_POINT_NAMES as [string, ...string[]]).optional(),
};

const step = z.discriminatedUnion('op', [
  z.looseObject({ op: z.literal('ioas_alloc'), as: name.optional(), ...expectations }),
  z.looseObject({ op: z.literal('mock_domain'), pt: ref, as: name.optional(), ...expectations }),
  z.looseObject({ op: z.literal('replace'), dev: ref, pt: ref, out: name.optional(), ...expectations }),
  z.looseObject({ op: z.literal('hwpt_alloc'), dev: ref, pt: ref, flags: z.number().int().min(0), as: name.optional(), ...expectations }),
  z.looseObject({ op: z.literal('destroy'), id: ref, ...expectations }),
  z.looseObject({ op: z.literal('device_bind'), dev: z.number().int().min(0), as: name.optional(), ...expectations }),
  z.looseObject({ op: z.literal('device_attach'), dev: z.number().int().min(0), pt: ref, out: name.optional(), ...expectations }),
  z.looseObject({ op: z.literal('device_replace'), dev: z.number().int().min(0), pt: ref, out: name.optional(), ...expectations }),
  z.looseObject({ op: z.literal('device_detach'), dev: z.number().int().min(0), ...expectations }),
  z.looseObject({ op: z.literal('device_unbind'), dev: z.number().int().min(0), ...expectations }),
  z.looseObject({ op: z.literal('close'), ...expectations }),
]);

const region = z.object({
  start: z.number().int().min(0),
  length: z.number().int().min(1),
  type: z.enum(['reserved', 'direct', 'direct-relaxable', 'msi', 'sw-msi']),
});

const topology = z.object({
  iommus: z
    .array(z.object({ enforceCC: z.boolean().default(false), isolatedMsi: z.boolean().default(true) }))
    .min(1)
    .default([{ enforceCC: false, isolatedMsi: true }]),
  groups: z
    .array(
      z.object({
        iommu: z.number().int().min(0).default(0),
        devices: z
          .array(
            z.object({
              cacheCoherent: z.boolean().default(true),
              enforceCC: z.boolean().default(false),
              resv: z.array(region).default([]),
            }),
          )
          .min(1),
      }),
    )
    .default([]),
  ioas: z.array(z.object({ mapped: z.array(z.object({ start: z.number().int().min(0), length: z.number().int().min(1) })).default([]) })).default([]),
});

const scenario = z.looseObject({
  name: z.string().min(1),
  topology: topology.optional(),
  /** Profiles this scenario describes (all when absent): the few answers the fixes change. */
  profiles: z.array(z.enum(PROFILES)).min(1).optional(),
  steps: z.array(z.unknown()).min(1),
});

export type ScenarioStep = z.infer<typeof step>;
export type ScenarioTopology = z.infer<typeof topology>;
export interface Scenario {
  name: string;
  source?: string;
  profiles?: ProfileName[];
  topology: ScenarioTopology;
  steps: ScenarioStep[];
}

/** A malformed file: the message names the file, the scenario and the step. */
export class ScenarioError extends Error {}

function describeIssue(e: z.ZodError): string {
  const i = e.issues[0]!;
  const path = i.path.length ? `${i.path.join('.')}: ` : '';
  return `${path}${i.message}`;
}

/** Names an op binds when it succeeds. */
export function bindsOf(s: ScenarioStep): string[] {
  switch (s.op) {
    case 'mock_domain':
      return s.as ? [`${s.as}.stdev`, `${s.as}.idev`, `${s.as}.hwpt`] : [];
    case 'ioas_alloc':
    case 'hwpt_alloc':
    case 'device_bind':
      return s.as ? [s.as] : [];
    case 'replace':
    case 'device_attach':
    case 'device_replace':
      return s.out ? [s.out] : [];
    default:
      return [];
  }
}

function refsOf(s: ScenarioStep): Array<string | number> {
  switch (s.op) {
    case 'mock_domain':
      return [s.pt];
    case 'replace':
    case 'hwpt_alloc':
      return [s.dev, s.pt];
    case 'destroy':
      return [s.id];
    case 'device_attach':
    case 'device_replace':
      return [s.pt];
    default:
      return [];
  }
}

function parseScenario(raw: unknown, file: string, index: number): Scenario {
  const where = (n: string) => `${file}: scenario ${JSON.stringify(n)}`;
  const top = scenario.safeParse(raw);
  if (!top.success) {
    const n = (raw as { name?: unknown } | null)?.name;
    throw new ScenarioError(`${where(typeof n === 'string' ? n : `#${index + 1}`)}: ${describeIssue(top.error)}`);
  }
  const sc = top.data;
  const topo = sc.topology ?? topology.parse({});
  const nDevices = topo.groups.reduce((n, g) => n + g.devices.length, 0);
  const bound = new Set<string>();
  const steps: ScenarioStep[] = [];
  sc.steps.forEach((rawStep, i) => {
    const r = step.safeParse(rawStep);
    if (!r.success) throw new ScenarioError(`${where(sc.name)}: step ${i}: ${describeIssue(r.error)}`);
    const s = r.data;
    for (const x of refsOf(s)) {
      if (typeof x === 'string' && !bound.has(x)) throw new ScenarioError(`${where(sc.name)}: step ${i}: unbound name ${JSON.stringify(x)}`);
    }
    for (const pair of [s.expect_same, s.expect_different]) {
      for (const x of pair ?? []) {
        if (!bound.has(x) && !bindsOf(s).includes(x)) throw new ScenarioError(`${where(sc.name)}: step ${i}: unbound name ${JSON.stringify(x)}`);
      }
    }
    if ('dev' in s && typeof s.dev === 'number' && s.op.startsWith('device_') && s.dev >= nDevices) {
      throw new ScenarioError(`${where(sc.name)}: step ${i}: device ${s.dev} is not in the topology (${nDevices} devices)`);
    }
    for (const b of bindsOf(s)) bound.add(b);
    steps.push(s);
  });
  return {
    name: sc.name,
    source: typeof sc.source === 'string' ? sc.source : undefined,
    ...(sc.profiles ? { profiles: sc.profiles } : {}),
    topology: topo,
    steps,
  };
}

/** Reads one scenario file: a scenario object, or {format, scenarios: [...]}; JSON or YAML. */
export function loadScenarios(file: string): Scenario[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(extname(file)) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${file}: not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'} (${(e as Error).message.split('\n')[0]})`);
  }
  if (doc && typeof doc === 'object' && !Array.isArray(doc) && 'scenarios' in doc) {
    const d = doc as { format?: unknown; scenarios: unknown };
    if (d.format !== undefined && d.format !== SCENARIO_FORMAT) {
      throw new ScenarioError(`${file}: unknown format ${JSON.stringify(d.format)} (expected ${SCENARIO_FORMAT})`);
    }
    if (!Array.isArray(d.scenarios) || d.scenarios.length === 0) throw new ScenarioError(`${file}: "scenarios" must be a non-empty array`);
    return d.scenarios.map((s, i) => parseScenario(s, file, i));
  }
  return [parseScenario(doc, file, 0)];
}
