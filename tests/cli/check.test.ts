// `check`: scenario files run by the compiled CLI; output lines, exit codes, malformed files.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEC_EXAMPLE } from './support.js';
import { schemaErrors } from '../report/validate.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/cli/main.js');
let tmp = '';

function check(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, 'check', ...args], { cwd: tmp, encoding: 'utf8', timeout: 30_000 });
}

function write(name: string, content: unknown): string {
  const f = join(tmp, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}


beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx tsc -p tsconfig.json first`);
  tmp = mkdtempSync(join(tmpdir(), 'iommufd-model-check-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('check', () => {
  it('passes the spec example; the last stdout line is "N passed, M failed"', () => {
    const r = check([write('ok.json', SPEC_EXAMPLE)]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('PASS replace_between_user_hwpts');
    expect(lines.at(-1)).toBe('1 passed, 0 failed');
  });

  it('reports the first differing step and exits 1; --json has every step', () => {
    const wrong = structuredClone(SPEC_EXAMPLE);
    wrong.steps[4]!.expect = 'ENOENT';
    const out = join(tmp, 'r.json');
    const r = check([write('wrong.json', { format: 'iommufd-lifecycle-conformance/1', scenarios: [SPEC_EXAMPLE, wrong] }), '--json', out]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL replace_between_user_hwpts: step 4 \(destroy\) expected ENOENT, got EBUSY$/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('1 passed, 1 failed');
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.files[0].scenarios[1].steps[4]).toMatchObject({ expected: 'ENOENT', actual: 'EBUSY', pass: false });
    expect(schemaErrors('check.schema.json', doc)).toBeNull();
  });

  it('reads YAML', () => {
    const yaml = `name: yaml scenario\nsteps:\n  - {op: ioas_alloc, as: a, expect: ok}\n  - {op: destroy, id: a, expect: ok}\n  - {op: destroy, id: a, expect: ENOENT}\n`;
    const r = check([write('s.yaml', yaml)]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it.each([
    ['unknown op', { name: 's', steps: [{ op: 'nope', expect: 'ok' }] }, /bad\.json: scenario "s": step 0: /],
    ['missing expect', { name: 's', steps: [{ op: 'ioas_alloc', as: 'a' }] }, /scenario "s": step 0: expect: required: "ok" or an errno name/],
    ['unknown errno', { name: 's', steps: [{ op: 'ioas_alloc', as: 'a', expect: 'EWHAT' }] }, /step 0: expect: must be "ok" or one of EPERM, ENOENT, .* \(got "EWHAT"\)/],
    ['missing id', { name: 's', steps: [{ op: 'destroy', expect: 'ok' }] }, /step 0: id: required: a name bound by an earlier step or an object id/],
    ['unbound name', { name: 's', steps: [{ op: 'destroy', id: 'ghost', expect: 'ok' }] }, /step 0: unbound name "ghost"/],
    ['ill-typed argument', { name: 's', steps: [{ op: 'hwpt_alloc', dev: 1, pt: 2, flags: 'x', as: 'h', expect: 'ok' }] }, /step 0: flags/],
    ['not JSON', '{nope', /bad\.json: not valid JSON/],
  ])('a malformed file (%s) is one line naming file, scenario and step; exit 2', (_why, content, re) => {
    const r = check([write('bad.json', content)]);
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(re);
  });

  it('native ops, inject and expect_warn', () => {
    const sc = {
      name: 'unbind while attached',
      topology: { groups: [{ iommu: 0, devices: [{}] }] },
      steps: [
        { op: 'ioas_alloc', as: 'ioas', expect: 'ok' },
        { op: 'device_bind', dev: 0, expect: 'ok' },
        { op: 'device_attach', dev: 0, pt: 'ioas', expect: 'ENOMEM', inject: 'domain_alloc' },
        { op: 'device_attach', dev: 0, pt: 'ioas', out: 'h', expect: 'ok' },
        { op: 'device_unbind', dev: 0, expect: 'ok', expect_warn: true },
      ],
    };
    const r = check([write('native.json', sc)]);
    expect(r.stdout + r.stderr).toMatch(/1 passed, 0 failed/);
    expect(r.status).toBe(0);
  });
});
