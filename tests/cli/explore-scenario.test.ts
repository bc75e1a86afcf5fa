// `explore` on scenario files: one thread running the steps, every failure point a fail / go-on
// choice; a multi-scenario file needs --scenario; a violation's document replays.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarios } from '../../runner/scenario.js';
import { scenarioWorkload } from '../../runner/scenario-workload.js';
import { expectUsageError, makeTemp, removeTemp, ROOT, runCli, SPEC_EXAMPLE } from './support.js';

let tmp = '';
beforeAll(() => {
  tmp = makeTemp('explore-scenario');
});
afterAll(() => removeTemp(tmp));


describe('scenarioWorkload', () => {
  it('keeps the steps in order on one thread, maps names, stops at close', () => {
    const f = join(tmp, 'native.json');
    writeFileSync(
      f,
      JSON.stringify({
        name: 'native',
        topology: { groups: [{ devices: [{}] }] },
        steps: [
          { op: 'ioas_alloc', as: 'ioas', expect: 'ok' },
          { op: 'device_bind', dev: 0, as: 'idev', expect: 'ok' },
          { op: 'hwpt_alloc', dev: 'idev', pt: 'ioas', flags: 0, expect: 'ok', inject: 'domain_alloc' },
          { op: 'close', expect: 'ok' },
          { op: 'destroy', id: 1, expect: 'ENOENT' },
        ],
      }),
    );
    const w = scenarioWorkload(loadScenarios(f)[0]!);
    expect(w.workload.threads).toEqual([
      [
        { op: 'ioas_alloc', as: 'ioas' },
        { op: 'bind', dev: 0 },
        { op: 'hwpt_alloc', dev: 'dev0.idev', pt: 'ioas', flags: 0, as: 'step2' },
      ],
    ]);
    expect(w.faultPoints).toEqual(['domain_alloc']);
    expect(w.workload.faultPoints).toEqual(['domain_alloc']);
    expect(w.dropped).toHaveLength(2);
  });
});

describe('explore FILE for a scenario file', () => {
  it('explores a one-scenario file completely, every failure point, no violation', () => {
    writeFileSync(join(tmp, 'spec.json'), JSON.stringify(SPEC_EXAMPLE));
    const r = runCli(tmp, ['explore', 'spec.json', '--out', 'o1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^scenario "replace_between_user_hwpts": 6 steps on one thread; failure points explored: get_object, object_alloc/);
    expect(r.stdout).toMatch(/\d+ executions cover every Mazurkiewicz trace and draw outcome of this program, no violation\n$/);
  });

  it('a file of several scenarios needs --scenario; a name it lacks or --scenario on a workload is bad input', () => {
    const file = join(ROOT, 'tests/conformance/derived-replace.json');
    expectUsageError(runCli(tmp, ['explore', file, '--out', 'o2']), /holds \d+ scenarios: pick one with --scenario NAME/);
    expectUsageError(runCli(tmp, ['explore', file, '--scenario', 'nope', '--out', 'o2']), /no scenario named "nope"/);
    const wl = join(ROOT, 'docs/workloads/replace-vs-destroy.json');
    expectUsageError(runCli(tmp, ['explore', wl, '--scenario', 'x', '--out', 'o2']), /--scenario applies to scenario files/);
  });

  it('finds Z4 in the v6.6 scenario of it, and the document replays', () => {
    const file = join(ROOT, 'tests/conformance/derived-replace.json');
    const name = loadScenarios(file).find((s) => s.name.startsWith('Z4 (v6.6)'))!.name;
    const r = runCli(tmp, ['explore', file, '--scenario', name, '--profile', 'v6.6', '--out', 'o3']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/VIOLATION model at device:bound:REPLACE/);
    const docs = readdirSync(join(tmp, 'o3/violations')).filter((f) => /^\d{4}\.json$/.test(f));
    expect(docs).toEqual(['0001.json']);
    const again = runCli(tmp, ['replay', join('o3/violations', docs[0]!)]);
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/model at device:bound:REPLACE/);
  });
});
