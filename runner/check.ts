// Runs scenarios sequentially on a fresh emulated kernel and compares every step with the
// result the kernel gives. WARNs and lifecycle-machine refusals are recorded, not fatal, so a
// step can expect the kernel to WARN (expect_warn) and go on as the kernel does.
import { Runtime } from '../schedulers/runtime.js';
import { RandomScheduler } from '../schedulers/random.js';
import { Lockdep, LockClasses } from '../engine/locks/lockdep.js';
import { internClasses, Kernel } from '../engine/kernel.js';
import { KErr, type OpResult } from '../engine/errno.js';
import { ViolationError } from '../engine/violation.js';
import { profileFixes, profileFlags, type ProfileName } from '../engine/profiles.js';
import type { FaultPoint } from '../engine/faults.js';
import type { Idev } from '../engine/objects.js';
import { ctxPut, iommufdDestroy, runPendingRelease } from '../engine/object-table.js';
import { ioasAllocIoctl } from '../engine/ioas.js';
import { hwptAllocIoctl } from '../engine/hw-pagetable.js';
import { deviceAttach, deviceBind, deviceDetach, deviceReplace, deviceUnbind, type PtId } from '../engine/device.js';
import { mockDomain, mockDomainReplace } from '../engine/selftest.js';
import { defaultHooks } from '../properties/registry.js';
import type { EThread } from '../schedulers/runtime.js';
import type { Scenario, ScenarioStep } from './scenario.js';
import type { DocHeader } from './doc.js';

export interface StepResult {
  index: number;
  op: string;
  expected: string;
  actual: string;
  pass: boolean;
  /** Why it failed beyond the errno (an expect_same/different or WARN mismatch). */
  detail?: string;
  warnings: string[];
}

/** What `check --json` writes (schema/check.schema.json). */
export interface CheckReport extends DocHeader {
  profile: ProfileName;
  /** Scenarios, over every file. */
  passed: number;
  failed: number;
  files: Array<{ file: string; scenarios: ScenarioResult[] }>;
}

export interface ScenarioResult {
  name: string;
  source?: string;
  pass: boolean;
  steps: StepResult[];
  /** The first differing step, if any. */
  firstFailure?: StepResult;
}

/** Profiles from v6.7 on answer with `expect_since_v6_7` where a step has one. */
function isV67(profile: ProfileName): boolean {
  return /^v6\.(7|8|9|\d\d)/.test(profile);
}

export async function runScenario(sc: Scenario, profile: ProfileName): Promise<ScenarioResult> {
  const rt = new Runtime(new RandomScheduler(1), 1_000_000);
  const classes = new LockClasses();
  const k = new Kernel(
    rt,
    new Lockdep(classes, 2),
    internClasses(classes),
    sc.topology,
    { flags: profileFlags(profile, []), fixes: profileFixes(profile), faultDen: 0, tracing: false },
    null,
  );
  k.props = defaultHooks;
  k.softWarnings = true;
  const names = new Map<string, number>();
  const idevs: Array<Idev | null> = k.devices.map(() => null);
  const steps: StepResult[] = [];
  const resolve = (r: string | number): number => (typeof r === 'number' ? r : (names.get(r) ?? 0));

  async function exec(t: EThread, s: ScenarioStep): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    switch (s.op) {
      case 'ioas_alloc': {
        const ioas = await ioasAllocIoctl(k, t);
        if (s.as) out.set(s.as, ioas.id);
        break;
      }
      case 'mock_domain': {
        const r = await mockDomain(k, t, resolve(s.pt));
        if (s.as) {
          out.set(`${s.as}.stdev`, r.stdevId);
          out.set(`${s.as}.idev`, r.idevId);
          out.set(`${s.as}.hwpt`, r.hwptId);
        }
        break;
      }
      case 'replace': {
        const id = await mockDomainReplace(k, t, resolve(s.dev), resolve(s.pt));
        if (s.out) out.set(s.out, id);
        break;
      }
      case 'hwpt_alloc': {
        const h = await hwptAllocIoctl(k, t, { flags: s.flags, devId: resolve(s.dev), ptId: resolve(s.pt) });
        if (s.as) out.set(s.as, h.id);
        break;
      }
      case 'destroy':
        await iommufdDestroy(k, t, resolve(s.id));
        break;
      case 'device_bind': {
        const idev = await deviceBind(k, t, k.devices[s.dev]!);
        idevs[s.dev] = idev;
        if (s.as) out.set(s.as, idev.id);
        break;
      }
      case 'device_attach':
      case 'device_replace': {
        const idev = idevs[s.dev];
        if (!idev) throw new Error(`device ${s.dev} is not bound (bind it in an earlier step)`);
        const pt: PtId = { value: resolve(s.pt) };
        if (s.op === 'device_attach') await deviceAttach(k, t, idev, pt);
        else await deviceReplace(k, t, idev, pt);
        if (s.out) out.set(s.out, pt.value);
        break;
      }
      case 'device_detach': {
        const idev = idevs[s.dev];
        if (!idev) throw new Error(`device ${s.dev} is not bound`);
        await deviceDetach(k, t, idev);
        break;
      }
      case 'device_unbind': {
        const idev = idevs[s.dev];
        if (!idev) throw new Error(`device ${s.dev} is not bound`);
        idevs[s.dev] = null;
        await deviceUnbind(k, t, idev);
        break;
      }
      case 'close':
        await ctxPut(k, t);
        break;
    }
    return out;
  }

  let current = -1;
  rt.spawn('scenario', async (t) => {
    for (let i = 0; i < sc.steps.length; i++) {
      current = i;
      const s = sc.steps[i]!;
      const expected = isV67(profile) && s.expect_since_v6_7 ? s.expect_since_v6_7 : s.expect;
      const warned = k.warnings.length;
      k.injectOnce = (s.inject as FaultPoint | undefined) ?? null;
      let actual: OpResult | string;
      let bound = new Map<string, number>();
      try {
        bound = await exec(t, s);
        actual = 'ok';
      } catch (e) {
        if (e instanceof KErr) actual = e.errno;
        else if (e instanceof ViolationError) actual = `violation: ${e.violation.kind} at ${e.violation.location}`;
        else actual = `error: ${(e as Error).message}`;
      }
      k.injectOnce = null;
      if (!actual.startsWith('violation') && !actual.startsWith('error')) await runPendingRelease(k, t);
      const warnings = k.warnings.slice(warned);
      const r: StepResult = { index: i, op: s.op, expected, actual, pass: actual === expected, warnings };
      if (r.pass && actual === 'ok') {
        for (const [n, id] of bound) names.set(n, id);
        if (s.expect_same && resolve(s.expect_same[0]) !== resolve(s.expect_same[1])) {
          r.pass = false;
          r.detail = `expect_same ${s.expect_same[0]}=${resolve(s.expect_same[0])} ${s.expect_same[1]}=${resolve(s.expect_same[1])}`;
        }
        if (s.expect_different && resolve(s.expect_different[0]) === resolve(s.expect_different[1])) {
          r.pass = false;
          r.detail = `expect_different: both are ${resolve(s.expect_different[0])}`;
        }
      }
      if (r.pass && Boolean(s.expect_warn) !== warnings.length > 0) {
        r.pass = false;
        r.detail = s.expect_warn ? 'expected a WARN, the step gave none' : `unexpected WARN: ${warnings[0]}`;
      }
      steps.push(r);
      // A step that ended in a model violation leaves the kernel in an unknown state.
      if (actual.startsWith('violation') || actual.startsWith('error')) break;
    }
  });
  const end = await rt.run();
  if (end.kind === 'stopped' && !(end.reason instanceof ViolationError)) throw end.reason;
  // A violation ends the run as it is raised: the step that raised it has not recorded itself.
  if (end.kind === 'stopped' && end.reason instanceof ViolationError && current >= 0 && steps.length === current) {
    const s = sc.steps[current]!;
    const v = end.reason.violation;
    steps.push({
      index: current,
      op: s.op,
      expected: isV67(profile) && s.expect_since_v6_7 ? s.expect_since_v6_7 : s.expect,
      actual: `violation: ${v.kind} at ${v.location}`,
      pass: false,
      detail: v.message.split('\n')[0],
      warnings: [],
    });
  }
  if (end.kind === 'deadlock' || end.kind === 'step-bound') {
    steps.push({ index: steps.length, op: sc.steps[steps.length]?.op ?? '?', expected: sc.steps[steps.length]?.expect ?? '?', actual: end.kind, pass: false, warnings: [] });
  }
  const firstFailure = steps.find((s) => !s.pass);
  return { name: sc.name, source: sc.source, pass: !firstFailure && steps.length === sc.steps.length, steps, ...(firstFailure ? { firstFailure } : {}) };
}
