// The compiled command line (node dist/cli/main.js), run as a child process: exit codes, files, replay.
// `npm test` compiles with tsc first; run `npx tsc -p tsconfig.json` before `npx vitest run tests/cli`.
// Bad input is tests/cli/bad-input.test.ts, workers and shards workers.test.ts, signals signals.test.ts.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VARIANT_NAMES } from '../../engine/variants.js';
import { CLI, ENV, expectUsageError, makeTemp, removeTemp, ROOT, runCli } from './support.js';
import { schemaErrors } from '../report/validate.js';

let tmp = '';

function cli(args: string[], timeout = 30_000): SpawnSyncReturns<string> {
  return runCli(tmp, args, timeout);
}

beforeAll(() => {
  tmp = makeTemp('cli');
});

afterAll(() => removeTemp(tmp));

describe('help and version', () => {
  it('--version prints the package version', () => {
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each([[[]], [['stress']], [['replay']], [['check']], [['explore']], [['report']], [['merge']], [['variants']]])('%j --help has examples', (args) => {
    const r = cli([...(args as string[]), '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Examples:/);
  });
});

describe('stress', () => {
  it('--runs 300 --seed 3 on the default profile: exit 0 and summary.json', () => {
    const out = join(tmp, 'ok');
    // Stale documents of an earlier run are removed; other files are left alone.
    mkdirSync(join(out, 'violations'), { recursive: true });
    writeFileSync(join(out, 'violations', '0007.json'), '{}');
    writeFileSync(join(out, 'violations', '0007.txt'), 'old');
    writeFileSync(join(out, 'violations', 'notes.md'), 'mine');
    const r = cli(['stress', '--runs', '300', '--seed', '3', '--out', out]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/OK: no violation in 300 schedules/);
    expect(readdirSync(join(out, 'violations')).sort()).toEqual(['notes.md']);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s).toMatchObject({
      schemaVersion: 1,
      tool: { name: 'iommufd-model' },
      seed: 3,
      runsDone: 300,
      runsRequested: 300,
      profile: 'fixed',
      variants: [],
      interrupted: false,
      stoppedBy: 'runs',
      replay: null,
      violations: { byKind: {}, distinct: [] },
      options: { runs: 300, threads: null, profile: 'fixed', faults: true, atomicity: true, scheduler: 'pct', keepGoing: false },
    });
    for (const k of ['steps', 'elapsedSeconds', 'stepsPerSecond', 'schedulesPerSecond']) expect(typeof s[k]).toBe('number');
    expect(s.steps).toBeGreaterThan(0);
    expect(s.fixes.length).toBeGreaterThan(0);
    for (const f of s.fixes) expect(f).toEqual({ name: expect.any(String), closes: expect.any(String), summary: expect.any(String) });
    for (const m of ['device', 'hwpt']) {
      expect(s.coverage[m].states.total).toBeGreaterThan(0);
      expect(s.coverage[m].transitions.hit).toBeLessThanOrEqual(s.coverage[m].transitions.total);
    }
  });

  it('--json - puts the summary JSON on stdout and the text on stderr', () => {
    const out = join(tmp, 'json');
    const r = cli(['stress', '--runs', '50', '--seed', '9', '--threads', '2', '--no-faults', '--out', out, '--json', '-']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ seed: 9, runsDone: 50, options: { threads: 2, faults: false } });
    expect(r.stderr).toMatch(/OK: no violation/);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(s);
  });

  it('--time bounds the campaign', () => {
    const out = join(tmp, 'time');
    const r = cli(['stress', '--runs', '100000000', '--time', '1', '--no-faults', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.stoppedBy).toBe('time');
    expect(s.runsDone).toBeLessThan(100000000);
  });
});

describe('a violation: documents and replay', () => {
  const out = () => join(tmp, 'z2');
  const doc = () => join(out(), 'violations', '0001.json');

  it('stress --seed 5 --runs 3000 --variant unlock-before-finalize exits 1 and writes 0001.json/.txt and the reports', () => {
    const r = cli(['stress', '--seed', '5', '--runs', '3000', '--variant', 'unlock-before-finalize', '--out', out()]);
    expect(r.status, r.stderr + r.stdout).toBe(1);
    // 0001.json is the only document; the rest are for people and viewers (tests/report/).
    expect(readdirSync(join(out(), 'violations')).sort()).toEqual(['0001.dot', '0001.html', '0001.json', '0001.mmd', '0001.trace.json', '0001.txt']);
    expect(existsSync(join(out(), 'index.html'))).toBe(true);
    const d = JSON.parse(readFileSync(doc(), 'utf8'));
    expect(d).toMatchObject({
      schemaVersion: 1,
      tool: { name: 'iommufd-model' },
      seed: 5,
      profile: 'fixed',
      variants: ['unlock-before-finalize'],
      options: { runs: 3000, profile: 'fixed', variants: ['unlock-before-finalize'], scheduler: 'pct', atomicity: true, faults: true },
      replay: `npm run cli -- replay ${doc()}`,
    });
    expect(d.schedule.decisions.length).toBeGreaterThan(3);
    expect(d.trace.length).toBeGreaterThan(0);
    const text = readFileSync(join(out(), 'violations', '0001.txt'), 'utf8');
    expect(text.split('\n')[0]).toBe(`VIOLATION ${d.violation.kind}${d.violation.invariant ? ` [${d.violation.invariant}]` : ''} at ${d.violation.location}`);
    expect(text).toContain(`Replay: npm run cli -- replay ${doc()}`);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(160);
    const s = JSON.parse(readFileSync(join(out(), 'summary.json'), 'utf8'));
    expect(s.violations.distinct).toHaveLength(1);
    expect(s.violations.distinct[0]).toMatchObject({ n: 1, file: doc(), kind: d.violation.kind, location: d.violation.location });
    expect(s.replay).toBe(`npm run cli -- replay ${doc()}`);
    expect(s.stoppedBy).toBe('violation');
    expect(r.stdout).toContain(s.replay);
  });

  it('replay reproduces it: exit 1 and the same text', () => {
    const r = cli(['replay', doc()]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe(readFileSync(join(out(), 'violations', '0001.txt'), 'utf8'));
    const j = cli(['replay', doc(), '--json', '-']);
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ outcome: 'reproduced', divergence: null });
    expect(schemaErrors('replay.schema.json', JSON.parse(j.stdout))).toBeNull();
  });

  it('replay of decisions that no longer fit exits 3', () => {
    const d = JSON.parse(readFileSync(doc(), 'utf8'));
    d.schedule.decisions = d.schedule.decisions.slice(0, 3);
    if (d.minimal) d.minimal.decisions = d.minimal.decisions.slice(0, 3);
    const f = join(tmp, 'truncated.json');
    writeFileSync(f, JSON.stringify(d));
    for (const which of ['minimal', 'original']) {
      const r = cli(['replay', f, '--schedule', which]);
      expect(r.status, r.stderr + r.stdout).toBe(3);
      expect(r.stdout).toMatch(/DIVERGED/);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('a pick that no longer fits: the divergence names the step and both enabled sets', () => {
    const d = JSON.parse(readFileSync(doc(), 'utf8'));
    expect(d.schedule.enabled).toMatch(/^s1\./);
    const at = d.schedule.decisions.findIndex((x: number, i: number) => i > 0 && x >= 0);
    d.schedule.decisions[at] = 7;
    const f = join(tmp, 'tampered.json');
    writeFileSync(f, JSON.stringify(d));
    const r = cli(['replay', f, '--schedule', 'original', '--json', '-']);
    expect(r.status, r.stderr).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.outcome).toBe('diverged');
    expect(j.divergence).toMatchObject({ index: at, expected: 'thread 7' });
    expect(Array.isArray(j.divergence.recordedEnabled)).toBe(true);
    expect(schemaErrors('replay.schema.json', j)).toBeNull();
    // With --json -, the text goes to stderr.
    expect(r.stderr).toMatch(new RegExp(`replay diverged at step ${j.divergence.step} \\(decision ${at}\\): recorded thread 7 \\(enabled then \\[[0-9, ]+\\]\\), enabled now \\[`));
  });

  it('the document keeps the original and the minimal schedule; both replay, as does the compact line', () => {
    const d = JSON.parse(readFileSync(doc(), 'utf8'));
    expect(d.minimal.steps).toBeLessThanOrEqual(d.minimal.from.steps);
    expect(d.minimal.preemptions).toBeLessThanOrEqual(d.minimal.from.preemptions);
    expect(d.minimal.violation.kind).toBe(d.violation.kind);
    expect(d.schedule.compact).toMatch(/^s1\./);
    for (const args of [[], ['--schedule', 'original'], ['--schedule', 'minimal'], ['--schedule', d.minimal.compact]]) {
      const r = cli(['replay', doc(), ...args]);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(1);
    }
    const text = readFileSync(doc().replace(/\.json$/, '.txt'), 'utf8');
    expect(text).toMatch(/^minimised from \d+ steps \/ \d+ preemptions to \d+ \/ \d+/m);
    expect(text).toMatch(/^Schedule: s1\./m);
    expect(cli(['replay', doc(), '--schedule', 'nope']).status).toBe(2);
  });
});

describe('stress --scheduler dfs', () => {
  it('a clean campaign: the summary says how many workloads were covered completely and how many were cut', () => {
    const out = join(tmp, 'dfs-ok');
    const r = cli(['stress', '--scheduler', 'dfs', '--runs', '300', '--seed', '3', '--out', out]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/scheduler: dfs \(dpor, budget 64 executions per workload\); \d+ workloads: \d+ covered completely \(every Mazurkiewicz trace/);
    expect(r.stdout).toMatch(/\d+ cut at the\s+budget/);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s).toMatchObject({ runsDone: 300, options: { scheduler: 'dfs', dfsBudget: 64, workloadEvery: 64 }, dfs: { budget: 64 } });
    expect(s.dfs.complete + s.dfs.cut + s.dfs.stopped + s.dfs.noClaim).toBe(s.dfs.workloads);
    expect(s.options.pctDepth).toBeUndefined();
  });

  it('a variant: exit 1, a document with scheduler dfs that replays, the same with the same seed', () => {
    const run = (name: string) => {
      const out = join(tmp, name);
      const r = cli(['stress', '--scheduler', 'dfs', '--dfs-budget', '16', '--seed', '1', '--runs', '5000', '--variant', 'replace-unattached', '--out', out]);
      expect(r.status, r.stderr + r.stdout).toBe(1);
      return join(out, 'violations', '0001.json');
    };
    const doc = run('dfs-z4');
    const d = JSON.parse(readFileSync(doc, 'utf8'));
    expect(d).toMatchObject({ options: { scheduler: 'dfs', dfsBudget: 16 }, violation: { kind: 'model' } });
    expect(d.minimal).toBeDefined();
    for (const which of ['original', 'minimal']) {
      const again = cli(['replay', doc, '--schedule', which]);
      expect(again.status, again.stderr).toBe(1);
    }
    const d2 = JSON.parse(readFileSync(run('dfs-z4-again'), 'utf8'));
    expect([d2.scheduleIndex, d2.schedule, d2.minimal.compact]).toEqual([d.scheduleIndex, d.schedule, d.minimal.compact]);
  });
});

describe('variants', () => {
  it('lists every runnable variant as NAME<TAB>Zn<TAB>commit<TAB>catches', () => {
    const r = cli(['variants']);
    expect(r.status).toBe(0);
    const rows = r.stdout
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('\t'));
    expect(rows.map((c) => c[0])).toEqual(VARIANT_NAMES);
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const c of rows) {
      expect(c).toHaveLength(4);
      expect(c[1]).toMatch(/^Z\d+$/);
    }
  });
});

describe('explore', () => {
  const wl = join(ROOT, 'docs/workloads/replace-vs-destroy.json');

  it('a clean tree: exit 0 and a statement of what was covered', () => {
    const r = cli(['explore', wl]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\d+ executions cover every Mazurkiewicz trace of this program, no violation/);
  });

  it('a variant: exit 1, a violation document that replays to the same verdict', () => {
    const out = join(tmp, 'explore-out');
    const r = cli(['explore', wl, '--variant', 'put-under-lock', '--out', out]);
    expect(r.status, r.stderr).toBe(1);
    const doc = join(out, 'violations/0001.json');
    expect(existsSync(doc)).toBe(true);
    const again = cli(['replay', doc]);
    expect(again.status, again.stderr).toBe(1);
    expect(again.stdout + again.stderr).toMatch(/reproduced: VIOLATION lockdep-recursive/);
    // The document's workload can be explored again, with the same verdict.
    const re = cli(['explore', doc, '--variant', 'put-under-lock', '--out', join(tmp, 'explore-out2')]);
    expect(re.status, re.stderr).toBe(1);
  });

  it('a bound: the statement says the tree was not covered', () => {
    const r = cli(['explore', join(ROOT, 'docs/workloads/group-attach.json'), '--max-executions', '5']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/not every Mazurkiewicz trace is covered/);
  });

  it('--check-reduction: the same outcomes with and without the reduction, exit 0', () => {
    const r = cli(['explore', wl, '--check-reduction']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^reduction checked: \d+ outcomes, the same with and without dpor \(\d+ vs \d+ executions\)\n$/);
  });

  it('--check-reduction on an engine that under-reports its accesses: exit 1, the missed outcomes named', () => {
    // Every write reported as a read: no step depends on another, so DPOR runs one execution.
    const patch = join(tmp, 'all-reads.mjs');
    writeFileSync(
      patch,
      `import { Runtime } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/schedulers/runtime.js')).href)};\n` +
        'const access = Runtime.prototype.access;\nRuntime.prototype.access = function (id) { access.call(this, id, false); };\n',
    );
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(patch).href, CLI, 'explore', wl, '--check-reduction'], { cwd: tmp, encoding: 'utf8', timeout: 30_000, env: ENV });
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^reduction check FAILED: dpor misses \d+ of the \d+ outcomes the full tree reaches \(\d+ vs 1 executions\): .*rt\.access/);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {2}missed: .*T0: .*\| T1: /);
  });

  it('--check-reduction with --max-executions: a check cut short says it proves nothing', () => {
    const r = cli(['explore', wl, '--check-reduction', '--max-executions', '20']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^reduction check cut short, it proves nothing: the full tree was stopped at the limit of 20 executions/);
  });

  it.each([
    [['explore', wl, '--check-reduction', '--reduction', 'none'], /needs a reduction/],
    [['explore', wl, '--check-reduction', '--preemptions', '1'], /--preemptions/],
    [['explore', wl, '--check-reduction', '--out', 'elsewhere'], /--out does not apply/],
    [['explore', wl, '--check-reduction', '--keep-going'], /--keep-going does not apply/],
  ])('--check-reduction, bad input %j: exit 2', (args, m) => {
    expectUsageError(cli(args as string[]), m);
  });

  it.each([
    [['explore'], /missing required argument|FILE/i],
    [['explore', 'nope.json'], /cannot read/],
    [['explore', wl, '--reduction', 'magic'], /reduction/],
    [['explore', wl, '--max-executions', '0'], /max-executions/],
  ])('bad input %j: exit 2', (args, m) => {
    expectUsageError(cli(args as string[]), m);
  });
});
